"""Reading CimHil files without a server: the measurement store (SQLite) and the HDF5 export."""

import sqlite3

import pandas as pd

# The store's column names → the API's (docs/api.md), so a DataFrame reads the same whichever way it was got.
_STORE_COLUMNS = {
    "col": "column", "voltage_v": "voltageV", "width_seconds": "widthSeconds", "gate_v": "gateVoltageV",
    "compliance_a": "complianceA", "current_a": "currentA", "conductance_s": "conductanceS", "target_s": "targetS",
    "elapsed_seconds": "elapsedSeconds", "timestamp_ticks": "timestamp",
}

# .NET ticks (100 ns since 0001-01-01) at the Unix epoch.
_UNIX_EPOCH_TICKS = 621355968000000000


def _open(path):
    # Read-only, so reading a store a characterisation is writing cannot disturb it.
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def read_store(path):
    """Every record of a measurement store (runs/<id>/measurements.db) as a DataFrame, one row per record, in key order."""
    with _open(path) as db:
        frame = pd.read_sql_query("SELECT * FROM measurements ORDER BY procedure,row,col,step,seq", db)
    frame = frame.rename(columns=_STORE_COLUMNS)
    if "timestamp" in frame:
        frame["timestamp"] = pd.to_datetime((frame["timestamp"] - _UNIX_EPOCH_TICKS) * 100, unit="ns", utc=True)
    return frame


def read_store_units(path):
    """The unit results of a measurement store as a DataFrame."""
    with _open(path) as db:
        frame = pd.read_sql_query("SELECT * FROM units ORDER BY procedure,row,col,step", db)
    return frame.rename(columns={"col": "column", "target_s": "targetS", "value_s": "valueS"})


def read_hdf5(path, table="measurements"):
    """One table of an HDF5 export (`cimhil export --format hdf5`): a group per table, a dataset per column, in the
    order of the group's "columns" attribute."""
    import h5py  # only this function needs it

    with h5py.File(path, "r") as f:
        group = f[table]
        columns = [c.decode() if isinstance(c, bytes) else str(c) for c in group.attrs["columns"]]
        data = {}
        for name in columns:
            values = group[name][()]
            if values.dtype.kind in ("S", "O"):
                values = [v.decode() if isinstance(v, bytes) else v for v in values]
            data[name] = values
    return pd.DataFrame(data, columns=columns)

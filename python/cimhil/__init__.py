"""Python client of the CimHil bench server (`cimhil serve`, docs/api.md).

Connect, start and follow workflows with a progress bar, and get measurements and results as pandas DataFrames;
read a measurement store (SQLite) or an HDF5 export (`cimhil export --format hdf5`) directly, without a server.
Pure Python: the standard library, requests and pandas (h5py only for HDF5).
"""

from .client import ApiError, Client, SafetyRefused
from .files import read_hdf5, read_store, read_store_units

__all__ = ["ApiError", "Client", "SafetyRefused", "read_hdf5", "read_store", "read_store_units"]

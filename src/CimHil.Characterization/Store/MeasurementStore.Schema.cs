namespace CimHil.Characterization.Store;

/// <summary>The file format: application id, schema version and the tables a new store is created with.</summary>
public sealed partial class MeasurementStore
{
    /// <summary>PRAGMA application_id of our files: "CIMH" in ASCII (SQLite file format, header offset 68).</summary>
    public const int ApplicationId = 0x43494D48;

    /// <summary>PRAGMA user_version: the schema version of the store (2 added measurements.uncertain; a version-1 file gains it on its first write).</summary>
    public const int SchemaVersion = 2;

    private const string Schema = """
        CREATE TABLE run(
          id INTEGER PRIMARY KEY CHECK (id = 1),
          run_id TEXT NOT NULL, name TEXT NOT NULL, created_utc TEXT NOT NULL,
          plan_json TEXT NOT NULL, plan_hash TEXT NOT NULL,
          chip_vendor TEXT NOT NULL, chip_model TEXT NOT NULL, chip_serial TEXT NOT NULL, chip_firmware TEXT NOT NULL,
          technology TEXT NOT NULL, rows INTEGER NOT NULL, columns INTEGER NOT NULL, virtual_clock INTEGER NOT NULL,
          driver TEXT NOT NULL, instruments TEXT NOT NULL, config_hash TEXT, software_version TEXT NOT NULL,
          finished_utc TEXT);
        CREATE TABLE sessions(
          session INTEGER PRIMARY KEY, started_utc TEXT NOT NULL, resumed INTEGER NOT NULL, ended_utc TEXT, outcome TEXT);
        CREATE TABLE procedures(
          procedure TEXT PRIMARY KEY, ordinal INTEGER NOT NULL, parameters_json TEXT NOT NULL,
          started_utc TEXT NOT NULL, finished_utc TEXT);
        CREATE TABLE units(
          procedure TEXT NOT NULL REFERENCES procedures(procedure), row INTEGER NOT NULL, col INTEGER NOT NULL, step INTEGER NOT NULL,
          outcome TEXT NOT NULL, target_s REAL, value_s REAL, pulses INTEGER NOT NULL,
          session INTEGER NOT NULL, completed_ticks INTEGER NOT NULL,
          PRIMARY KEY(procedure, row, col, step)) WITHOUT ROWID;
        CREATE TABLE measurements(
          procedure TEXT NOT NULL, row INTEGER NOT NULL, col INTEGER NOT NULL, step INTEGER NOT NULL, seq INTEGER NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('pulse','read','form')), role TEXT NOT NULL,
          polarity TEXT CHECK (polarity IN ('set','reset')), voltage_v REAL, width_seconds REAL, gate_v REAL, compliance_a REAL,
          current_a REAL, conductance_s REAL, target_s REAL, elapsed_seconds REAL, formed INTEGER,
          timestamp_ticks INTEGER NOT NULL, session INTEGER NOT NULL,
          uncertain TEXT CHECK (uncertain IN ('applied','not-applied','unknown')),
          PRIMARY KEY(procedure, row, col, step, seq)) WITHOUT ROWID;
        """;
}

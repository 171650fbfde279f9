using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CimHil.Characterization.Store;

/// <summary>Opening checks: what the file is, whether SQLite finds it sound, and whether it still holds every acknowledged commit.</summary>
public sealed partial class MeasurementStore
{
    /// <summary>Up to this size (database plus write-ahead log) opening runs the full integrity_check; above it the faster quick_check.</summary>
    public const long FullIntegrityCheckMaxBytes = 64L << 20;

    // The commit counter lives in the store as well as in the journal: a transaction's units, records and its sequence
    // number are committed together, so a lost commit shows as a sequence number behind the journal's.
    private const string CommitSchema = """
        CREATE TABLE IF NOT EXISTS commit_seq(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
        INSERT OR IGNORE INTO commit_seq(id, seq) VALUES(1, 0);
        """;

    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    private static void CheckHeader(string path)
    {
        if (!File.Exists(path))
        {
            throw new MeasurementStoreException(path, "measurement database not found");
        }

        var header = new byte[100];
        int n;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            n = f.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (n < 100 || !header.AsSpan(0, 16).SequenceEqual(SqliteMagic))
        {
            throw new MeasurementStoreException(path, "is not a CimHil measurement database (not an SQLite file)");
        }
    }

    private static void Validate(string path, SqliteConnection db)
    {
        // Through SQLite, not from the raw header (offset 68): in a store killed before its first checkpoint the newest
        // header page may still be in the write-ahead log only.
        var app = Convert.ToInt32(Scalar(db, "PRAGMA application_id"), CultureInfo.InvariantCulture);
        if (app != ApplicationId)
        {
            throw new MeasurementStoreException(path, $"is an SQLite database of another application (application_id 0x{app:X8}, expected 0x{ApplicationId:X8}), not a CimHil measurement database");
        }

        var version = Convert.ToInt32(Scalar(db, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new MeasurementStoreException(path, $"schema version {version} is newer than this CimHil understands ({SchemaVersion})");
        }

        if (version < 1)
        {
            throw new MeasurementStoreException(path, "has no CimHil schema (user_version 0)");
        }

        var bytes = new FileInfo(path).Length + (File.Exists(WalPath(path)) ? new FileInfo(WalPath(path)).Length : 0);
        var pragma = bytes <= FullIntegrityCheckMaxBytes ? "integrity_check" : "quick_check";
        var check = Scalar(db, $"PRAGMA {pragma}") as string;
        if (!string.Equals(check, "ok", StringComparison.Ordinal))
        {
            throw new MeasurementStoreException(path, $"is corrupt (SQLite {pragma}: {check})");
        }

        foreach (var table in new[] { "run", "sessions", "procedures", "units", "measurements" })
        {
            if (!TableExists(db, table))
            {
                throw new MeasurementStoreException(path, $"is missing the '{table}' table; not a complete CimHil measurement database");
            }
        }
    }

    /// <summary>What the store holds now: its commit sequence number (0 in a store older than the counter) and row counts.</summary>
    private static CommitMark ReadMark(SqliteConnection db)
    {
        var hasCounter = TableExists(db, "commit_seq");
        var seq = hasCounter ? Convert.ToInt64(Scalar(db, "SELECT seq FROM commit_seq WHERE id=1") ?? 0L, CultureInfo.InvariantCulture) : 0;
        // A resume on a new chip moves units and records into the superseded_ tables (never deletes them): they count.
        var superseded = TableExists(db, "superseded_units");
        var units = Convert.ToInt64(Scalar(db, superseded ? "SELECT (SELECT COUNT(*) FROM units) + (SELECT COUNT(*) FROM superseded_units)" : "SELECT COUNT(*) FROM units"), CultureInfo.InvariantCulture);
        var measurements = Convert.ToInt64(Scalar(db, superseded ? "SELECT (SELECT COUNT(*) FROM measurements) + (SELECT COUNT(*) FROM superseded_measurements)" : "SELECT COUNT(*) FROM measurements"), CultureInfo.InvariantCulture);
        return new CommitMark(seq, units, measurements);
    }

    /// <summary>
    /// Refuses a store that holds fewer commits or units than its journal says were acknowledged. Units are never deleted
    /// (a restart on a new chip sets them aside, counted), so fewer of them is loss; the record count is reported, not compared (records may be rewritten by a procedure).
    /// Without a journal (a store from before the journal, or one copied without it) there is nothing to compare.
    /// </summary>
    private static void VerifyNothingLost(string path, string runId, CommitMark stored, CommitJournalState? journal)
    {
        if (journal is null || !string.Equals(journal.RunId, runId, StringComparison.Ordinal))
        {
            return;
        }

        var acknowledged = journal.Last;
        if (stored.Sequence >= acknowledged.Sequence && stored.Units >= acknowledged.Units)
        {
            return;
        }

        var wal = WalPath(path);
        var walState = File.Exists(wal)
            ? $"its write-ahead log {wal} ({new FileInfo(wal).Length} bytes) is damaged: SQLite reads it only up to the first frame whose checksum fails and silently drops every commit after it"
            : $"its write-ahead log {wal} is missing, so commits not yet checkpointed into the database were lost";
        var journalPath = CommitJournal.PathOf(path);
        throw new MeasurementStoreException(
            path,
            $"lost committed data: expected {acknowledged.Units} units / got {stored.Units} ({acknowledged.Units - stored.Units} committed units missing), " +
            $"expected {acknowledged.Sequence} commits / got {stored.Sequence}, expected {acknowledged.Measurements} records / got {stored.Measurements} " +
            $"(acknowledged commits from {journalPath}); {walState}. Nothing was written and the run cannot be resumed: resuming would measure the lost cells again. " +
            $"To recover: keep a copy of {path}, {wal} and {journalPath}; read what is left with 'sqlite3 -readonly {path}' (e.g. '.mode csv' then SELECT … FROM measurements) to export it; start a new run with another --out.");
    }

    /// <summary>Whether closing the connection may checkpoint: off until the store is verified, so a refused store keeps its write-ahead log as found.</summary>
    private static void CheckpointOnClose(SqliteConnection db, bool allowed)
    {
        // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE (https://www.sqlite.org/c3ref/c_dbconfig_defensive.html): without it the last
        // connection to close checkpoints the readable part of a damaged log into the database and deletes the log.
        raw.sqlite3_db_config(db.Handle, raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, allowed ? 0 : 1, out _);
    }

    /// <summary>Switches to WAL; SQLite answers a switch it could not make with the old mode, not an error, so the answer is checked.</summary>
    private static void UseWriteAheadLog(string path, SqliteConnection db)
    {
        var mode = Scalar(db, "PRAGMA journal_mode=WAL") as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new MeasurementStoreException(path, $"cannot switch to write-ahead logging (journal_mode stays '{mode}'); is another program holding the file open?");
        }
    }

    private static bool TableExists(SqliteConnection db, string table)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=$t";
        cmd.Parameters.AddWithValue("$t", table);
        return cmd.ExecuteScalar() is 1L;
    }

    private static string WalPath(string path) => path + "-wal";
}

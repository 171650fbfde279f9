using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Store;

/// <summary>Leaving a finished store as one file.</summary>
public sealed partial class MeasurementStore
{
    /// <summary>
    /// Folds the write-ahead log into the database file and closes it, so that only <paramref name="path"/> remains (no -wal,
    /// no -shm): a finished run folder is copied, archived or mailed as one file. Read-only openings (calibration, the report)
    /// leave the log files behind because a read-only connection never checkpoints. The store is checked first exactly as
    /// <see cref="Open"/> does, so a damaged log is never folded in (that would drop its commits after the first bad frame).
    /// Call it when no other connection is open; one that is open keeps the files, and nothing is lost either way.
    /// </summary>
    /// <returns>True when the log was folded in and removed; false when another connection held it (the files stay).</returns>
    /// <exception cref="MeasurementStoreException">The file is not a sound CimHil store or holds fewer commits than its journal acknowledged.</exception>
    public static bool CheckpointAndClose(string path)
    {
        CheckHeader(path);
        using var db = Connect(path, SqliteOpenMode.ReadWrite);
        CheckpointOnClose(db, allowed: false);
        Validate(path, db);
        var run = ReadRun(path, db);
        VerifyNothingLost(path, run.RunId, ReadMark(db), CommitJournal.Read(CommitJournal.PathOf(path)));
        CheckpointOnClose(db, allowed: true);

        // wal_checkpoint(TRUNCATE) answers (busy, log frames, checkpointed frames); busy = 1 when a reader or writer blocked
        // it (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint). Switching to the rollback journal then deletes the
        // log and, at close, the shared-memory file; the next Open switches back to WAL.
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var r = cmd.ExecuteReader();
            if (!r.Read() || Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture) != 0)
            {
                return false;
            }
        }

        return string.Equals(Scalar(db, "PRAGMA journal_mode=DELETE") as string, "delete", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Reads a store read-only and leaves its folder as found: a read-only opening of a store in WAL mode creates -wal and
    /// -shm and can never remove them (https://www.sqlite.org/wal.html, "Read-Only Databases"), so when they were not there
    /// before they are folded away again (<see cref="CheckpointAndClose"/>). Log files that were there before belong to
    /// another connection (a live run) and are left alone; so are they when the store cannot be written (a read-only file).
    /// </summary>
    public static T Read<T>(string path, DateTimeOffset nowUtc, Func<MeasurementStore, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var logBefore = HasLog(path);
        T result;
        using (var store = Open(path, nowUtc, readOnly: true))
        {
            result = read(store);
        }

        if (!logBefore && HasLog(path))
        {
            try
            {
                CheckpointAndClose(path);
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                // Nothing is lost: the two side files are empty, and the next writer or reader uses them.
            }
        }

        return result;
    }

    private static bool HasLog(string path) => File.Exists(WalPath(path)) || File.Exists(path + "-shm");
}

using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Store;

/// <summary>Leaving a finished store as one file.</summary>
public sealed partial class MeasurementStore
{
    /// <summary>
    /// Folds the write-ahead log into the database file and closes it, so that only <paramref name="path"/> remains (no -wal,
    /// no -shm): a finished run folder is copied, archived or mailed as one file. (Read-only openings create no log files of
    /// their own: <see cref="Open"/>.) The store is checked first exactly as
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
    /// Reads a store read-only and leaves its folder and bytes as found: the opening is <see cref="Open"/>'s read-only one,
    /// which creates no -wal or -shm, and the store is closed before this returns.
    /// </summary>
    public static T Read<T>(string path, DateTimeOffset nowUtc, Func<MeasurementStore, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        using var store = Open(path, nowUtc, readOnly: true);
        return read(store);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CimHil.Core.Chip;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Store;

/// <summary>Creating a store and opening an existing one (a new session, or read-only).</summary>
public sealed partial class MeasurementStore
{
    /// <summary>Creates a new store for a new run; refuses to overwrite an existing file.</summary>
    public static MeasurementStore Create(string path, string name, string planJson, RunProvenance provenance, DateTimeOffset nowUtc)
    {
        if (File.Exists(path))
        {
            throw new MeasurementStoreException(path, "already exists; resume it (--resume) or choose another file");
        }

        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        // The store is made under a temporary name and renamed into place once its identity, schema and run row are
        // committed: a process killed while creating it leaves no half-made store at the path (a resume would refuse one
        // without its run row), only a temporary file that the next Create replaces.
        var creating = path + CreatingSuffix;
        File.Delete(creating);
        File.Delete(creating + "-journal");
        string runId;
        using (var fresh = Connect(creating, SqliteOpenMode.ReadWriteCreate))
        {
            runId = WriteIdentity(fresh, name, planJson, provenance, nowUtc);
        }

        File.Move(creating, path);
        var db = Connect(path, SqliteOpenMode.ReadWrite);
        CommitJournal? journal = null;
        try
        {
            UseWriteAheadLog(path, db);
            journal = CommitJournal.Create(CommitJournal.PathOf(path), runId, default);
            return Start(path, db, nowUtc, resumed: false, default, journal);
        }
        catch
        {
            journal?.Dispose();
            db.Dispose();
            throw;
        }
    }

    /// <summary>Appended to a store's path while it is being created.</summary>
    public const string CreatingSuffix = ".creating";

    /// <summary>
    /// Identity, schema and run row, in one transaction, into the main file itself (rollback journal) before the switch to
    /// WAL: a process killed before its first checkpoint then still leaves a file whose header says what it is.
    /// </summary>
    private static string WriteIdentity(SqliteConnection db, string name, string planJson, RunProvenance provenance, DateTimeOffset nowUtc)
    {
        Exec(db, $"PRAGMA application_id={ApplicationId}; PRAGMA user_version={SchemaVersion};");
        var runId = Guid.NewGuid().ToString("N");
        using (var tx = db.BeginTransaction())
        {
            Exec(db, Schema, tx);
            Exec(db, CommitSchema, tx);
            using var cmd = db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText =
                "INSERT INTO run(id,run_id,name,created_utc,plan_json,plan_hash,chip_vendor,chip_model,chip_serial,chip_firmware,technology,rows,columns,virtual_clock,driver,instruments,config_hash,software_version) " +
                "VALUES(1,$id,$name,$created,$plan,$hash,$vendor,$model,$serial,$fw,$tech,$rows,$cols,$virtual,$driver,$instr,$cfg,$sw)";
            cmd.Parameters.AddWithValue("$id", runId);
            cmd.Parameters.AddWithValue("$name", name);
            cmd.Parameters.AddWithValue("$created", nowUtc.ToString("O", CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$plan", planJson);
            cmd.Parameters.AddWithValue("$hash", Hash(planJson));
            cmd.Parameters.AddWithValue("$vendor", provenance.Chip.Vendor);
            cmd.Parameters.AddWithValue("$model", provenance.Chip.Model);
            cmd.Parameters.AddWithValue("$serial", provenance.Chip.Serial);
            cmd.Parameters.AddWithValue("$fw", provenance.Chip.Firmware);
            cmd.Parameters.AddWithValue("$tech", provenance.Chip.Technology.ToString());
            cmd.Parameters.AddWithValue("$rows", provenance.Geometry.Rows);
            cmd.Parameters.AddWithValue("$cols", provenance.Geometry.Columns);
            cmd.Parameters.AddWithValue("$virtual", provenance.VirtualClock ? 1 : 0);
            cmd.Parameters.AddWithValue("$driver", provenance.Driver);
            cmd.Parameters.AddWithValue("$instr", string.Join("\n", provenance.Instruments));
            cmd.Parameters.AddWithValue("$cfg", (object?)provenance.ConfigHash ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$sw", provenance.SoftwareVersion);
            cmd.ExecuteNonQuery();
            tx.Commit();
        }

        return runId;
    }

    /// <summary>
    /// Opens an existing store to resume its run (a new session) or to read it. Refused when the file is not a sound
    /// CimHil store or holds fewer commits than its journal acknowledged (see <see cref="CommitJournal"/>). A read-only
    /// opening writes nothing beside the store when no other connection holds it (see <see cref="ConnectToRead"/>).
    /// </summary>
    public static MeasurementStore Open(string path, DateTimeOffset nowUtc, bool readOnly = false)
    {
        CheckHeader(path);
        var db = readOnly ? ConnectToRead(path) : Connect(path, SqliteOpenMode.ReadWrite);
        CommitJournal? journal = null;
        try
        {
            CheckpointOnClose(db, allowed: false);
            Validate(path, db);
            var run = ReadRun(path, db);

            // The journal before the store's mark: a writer appends to the journal only after its commit, so read in this
            // order a live writer (a reader opening while a run stores, as the bench server's page does) can only make the
            // store look ahead of its journal, never behind it (which would read as lost commits).
            var journalPath = CommitJournal.PathOf(path);
            var acknowledged = CommitJournal.Read(journalPath);
            var mark = ReadMark(db);
            VerifyNothingLost(path, run.RunId, mark, acknowledged);
            CheckpointOnClose(db, allowed: true);
            if (readOnly)
            {
                return new MeasurementStore(path, db, run, 0, mark, null);
            }

            UseWriteAheadLog(path, db);
            Exec(db, CommitSchema);

            // A journal of this run continues (and catches up when the process died between a commit and its
            // acknowledgement); a missing one, or one left by another run at this path, starts afresh from the store.
            if (acknowledged is not null && string.Equals(acknowledged.RunId, run.RunId, StringComparison.Ordinal))
            {
                journal = CommitJournal.Continue(journalPath, acknowledged);
                if (mark != acknowledged.Last)
                {
                    journal.Append(mark);
                }
            }
            else
            {
                journal = CommitJournal.Create(journalPath, run.RunId, mark);
            }

            return Start(path, db, nowUtc, resumed: true, mark, journal);
        }
        catch (SqliteException ex)
        {
            journal?.Dispose();
            db.Dispose();
            throw new MeasurementStoreException(path, $"is not a readable CimHil measurement database: {ex.Message}", ex);
        }
        catch
        {
            journal?.Dispose();
            db.Dispose();
            throw;
        }
    }

    private static MeasurementStore Start(string path, SqliteConnection db, DateTimeOffset nowUtc, bool resumed, CommitMark mark, CommitJournal journal)
    {
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "UPDATE sessions SET outcome='interrupted' WHERE outcome IS NULL; INSERT INTO sessions(started_utc,resumed) VALUES($t,$r); SELECT last_insert_rowid();";
            cmd.Parameters.AddWithValue("$t", nowUtc.ToString("O", CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$r", resumed ? 1 : 0);
            var session = Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
            return new MeasurementStore(path, db, ReadRun(path, db), session, mark, journal);
        }
    }

    private static RunInfo ReadRun(string path, SqliteConnection db)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT run_id,name,created_utc,plan_json,plan_hash,chip_vendor,chip_model,chip_serial,chip_firmware,technology,rows,columns,virtual_clock,driver,instruments,config_hash,software_version,finished_utc,(SELECT COUNT(*) FROM sessions) FROM run WHERE id=1";
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            throw new MeasurementStoreException(path, "holds no run");
        }

        var instruments = r.GetString(14);
        return new RunInfo
        {
            RunId = r.GetString(0),
            Name = r.GetString(1),
            CreatedUtc = DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture),
            PlanJson = r.GetString(3),
            PlanHash = r.GetString(4),
            Provenance = new RunProvenance
            {
                Chip = new ChipIdentity(r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8), Enum.Parse<DeviceTechnology>(r.GetString(9))),
                Geometry = new ArrayGeometry(r.GetInt32(10), r.GetInt32(11)),
                VirtualClock = r.GetInt64(12) != 0,
                Driver = r.GetString(13),
                Instruments = instruments.Length == 0 ? [] : instruments.Split('\n'),
                ConfigHash = r.IsDBNull(15) ? null : r.GetString(15),
                SoftwareVersion = r.GetString(16),
            },
            FinishedUtc = r.IsDBNull(17) ? null : DateTimeOffset.Parse(r.GetString(17), CultureInfo.InvariantCulture),
            Sessions = r.GetInt32(18),
        };
    }

    /// <summary>
    /// A read-only connection that creates and writes nothing. A plain read-only opening of a store in WAL mode creates
    /// -wal and -shm beside it and can never remove them (https://www.sqlite.org/wal.html, "Read-Only Databases"), which
    /// writes into a researcher's read-only copy or fails on a read-only share. With no log beside the store, every commit
    /// is in the main file and no connection holds it (a WAL writer keeps its -wal while open), so the file is opened
    /// immutable (https://www.sqlite.org/uri.html, "immutable"): no locks, no log files, nothing written. With a log beside
    /// it, a writer may be live or a killed one left commits only in the log: then the log must be read, so the opening is
    /// the plain read-only one and the log files stay with the connection they belong to.
    /// </summary>
    private static SqliteConnection ConnectToRead(string path) =>
        File.Exists(WalPath(path)) || File.Exists(path + "-shm")
            ? Connect(path, SqliteOpenMode.ReadOnly)
            : Connect(ImmutableUri(path), SqliteOpenMode.ReadOnly, path);

    /// <summary>An SQLite file: URI with immutable=1 for <paramref name="path"/>, each byte outside the unreserved set percent-encoded (RFC 3986 §2.3).</summary>
    private static string ImmutableUri(string path)
    {
        var full = System.IO.Path.GetFullPath(path).Replace('\\', '/');
        var uri = new StringBuilder("file:");
        if (!full.StartsWith('/'))
        {
            uri.Append('/'); // A Windows drive path: file:/C:/… (https://www.sqlite.org/uri.html §3.1).
        }

        foreach (var b in Encoding.UTF8.GetBytes(full))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '.' or '_' or '~')
            {
                uri.Append(c);
            }
            else
            {
                uri.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            }
        }

        return uri.Append("?immutable=1").ToString();
    }

    private static SqliteConnection Connect(string path, SqliteOpenMode mode, string? shownPath = null)
    {
        // Pooling off: the file is released on Dispose, so a test or a resume can reopen or delete it at once.
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString();
        var db = new SqliteConnection(cs);
        try
        {
            db.Open();

            // WAL with synchronous=NORMAL: a committed transaction survives the death of the process (kill -9);
            // only an OS crash or power loss may lose the last commits (https://www.sqlite.org/pragma.html#pragma_synchronous).
            Exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
            return db;
        }
        catch (SqliteException ex)
        {
            db.Dispose();
            throw new MeasurementStoreException(shownPath ?? path, $"cannot be opened as a CimHil measurement database: {ex.Message}", ex);
        }
    }

    private static object? Scalar(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static void Exec(SqliteConnection db, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

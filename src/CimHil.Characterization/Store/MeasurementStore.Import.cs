using System.Globalization;
using System.Text.Json;
using CimHil.Characterization.Procedures;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Store;

/// <summary>Foreign measurements written as a procedure of the store, with their provenance, in one transaction.</summary>
public sealed partial class MeasurementStore
{
    /// <summary>Tables of import provenance; created on the first import, so older stores open unchanged.</summary>
    private const string ImportSchema = """
        CREATE TABLE IF NOT EXISTS imports(
          import_id INTEGER PRIMARY KEY, imported_utc TEXT NOT NULL, kind TEXT NOT NULL, procedure TEXT NOT NULL,
          mapping_json TEXT NOT NULL, records INTEGER NOT NULL, skipped_rows_json TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS import_files(
          import_id INTEGER NOT NULL REFERENCES imports(import_id), file TEXT NOT NULL, sha256 TEXT NOT NULL,
          rows INTEGER NOT NULL, skipped_rows INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS import_records(
          procedure TEXT NOT NULL, row INTEGER NOT NULL, col INTEGER NOT NULL, step INTEGER NOT NULL, seq INTEGER NOT NULL,
          import_id INTEGER NOT NULL REFERENCES imports(import_id), source_file TEXT NOT NULL, source_line INTEGER NOT NULL,
          phase TEXT, temperature_k REAL, cycle INTEGER, repeat_index INTEGER, verified INTEGER, set_pulses INTEGER,
          reset_pulses INTEGER, level INTEGER, window_low_s REAL, window_high_s REAL,
          PRIMARY KEY(procedure, row, col, step, seq)) WITHOUT ROWID;
        """;

    /// <summary>
    /// Writes <paramref name="import"/> in one transaction: a failure or cancellation anywhere leaves the store as it was.
    /// <paramref name="progress"/> hears the number of provenance rows written (the last, longest part).
    /// </summary>
    public void WriteImport(StoreImport import, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        if (HasRecords(import.Procedure))
        {
            throw new MeasurementStoreException(Path, $"already holds {import.Procedure} records; import them into a new store (records are never written twice)");
        }

        long importId = 0;
        void Before(SqliteTransaction tx)
        {
            Exec(_db, ImportSchema, tx);
            var ordinal = ProcedureNames.InOrder.ToList().IndexOf(import.Procedure) is var i and >= 0 ? i : ProcedureNames.InOrder.Count;
            var now = import.ImportedUtc.ToString("O", CultureInfo.InvariantCulture);
            Execute(tx, "INSERT OR REPLACE INTO procedures(procedure,ordinal,parameters_json,started_utc,finished_utc) VALUES($p,$o,$j,$t,$t)",
                ("$p", import.Procedure), ("$o", ordinal), ("$j", import.ParametersJson), ("$t", now));
            Execute(tx, "UPDATE run SET plan_json=$plan, plan_hash=$hash WHERE id=1", ("$plan", import.PlanJson), ("$hash", Hash(import.PlanJson)));
            using (var insert = Command(tx, "INSERT INTO imports(imported_utc,kind,procedure,mapping_json,records,skipped_rows_json) VALUES($t,$k,$p,$m,$n,$s); SELECT last_insert_rowid();",
                ("$t", now), ("$k", import.Kind), ("$p", import.Procedure), ("$m", import.MappingJson), ("$n", import.Measurements.Count),
                ("$s", JsonSerializer.Serialize(import.SkippedRows))))
            {
                importId = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
            }

            foreach (var f in import.Files)
            {
                Execute(tx, "INSERT INTO import_files(import_id,file,sha256,rows,skipped_rows) VALUES($i,$f,$h,$r,$s)",
                    ("$i", importId), ("$f", f.Name), ("$h", f.Sha256), ("$r", f.Rows), ("$s", f.SkippedRows));
            }
        }

        void After(SqliteTransaction tx)
        {
            using var cmd = Command(tx, "INSERT INTO import_records VALUES($p,$r,$c,$st,$sq,$i,$f,$l,$ph,$tk,$cy,$rp,$v,$sp,$rs,$lv,$wl,$wh)",
                ("$p", null), ("$r", null), ("$c", null), ("$st", null), ("$sq", null), ("$i", importId), ("$f", null), ("$l", null), ("$ph", null),
                ("$tk", null), ("$cy", null), ("$rp", null), ("$v", null), ("$sp", null), ("$rs", null), ("$lv", null), ("$wl", null), ("$wh", null));
            var p = cmd.Parameters;
            long written = 0;
            foreach (var a in import.Annotations)
            {
                cancellationToken.ThrowIfCancellationRequested();
                object?[] values = [a.Key.Procedure, a.Key.Row, a.Key.Column, a.Key.Step, a.Key.Seq, importId, a.SourceFile, a.SourceLine, a.Phase, a.TemperatureK,
                    a.Cycle, a.Repeat, a.Verified is { } v ? (v ? 1 : 0) : null, a.SetPulses, a.ResetPulses, a.Level, a.WindowLowS, a.WindowHighS];
                for (var i = 0; i < values.Length; i++)
                {
                    p[i].Value = values[i] ?? DBNull.Value;
                }

                cmd.ExecuteNonQuery();
                if (++written % 1000 == 0 || written == import.Annotations.Count)
                {
                    progress?.Report(written);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        Write(import.Measurements, import.Units, import.ImportedUtc, new ImportTransaction(Before, After));
        Run = Run with { PlanJson = import.PlanJson, PlanHash = Hash(import.PlanJson) };
    }

    /// <summary>The imports this store holds, oldest first (none for a store characterised on a bench).</summary>
    public IReadOnlyList<ImportRecord> Imports()
    {
        if (!HasImportTables())
        {
            return [];
        }

        var files = new Dictionary<long, List<ImportedFile>>();
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "SELECT import_id,file,sha256,rows,skipped_rows FROM import_files ORDER BY rowid";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                (files.TryGetValue(r.GetInt64(0), out var l) ? l : files[r.GetInt64(0)] = []).Add(new ImportedFile(r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4)));
            }
        }

        var list = new List<ImportRecord>();
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "SELECT import_id,imported_utc,kind,procedure,mapping_json,records,skipped_rows_json FROM imports ORDER BY import_id";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var id = r.GetInt64(0);
                list.Add(new ImportRecord(id, DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture), r.GetString(2), r.GetString(3), r.GetString(4),
                    files.GetValueOrDefault(id) ?? [], r.GetInt64(5), JsonSerializer.Deserialize<List<string>>(r.GetString(6)) ?? []));
            }
        }

        return list;
    }

    /// <summary>The source and the extra fields of every imported record, by key.</summary>
    public Dictionary<RecordKey, ImportAnnotation> ImportAnnotations()
    {
        var map = new Dictionary<RecordKey, ImportAnnotation>();
        if (!HasImportTables())
        {
            return map;
        }

        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT procedure,row,col,step,seq,source_file,source_line,phase,temperature_k,cycle,repeat_index,verified,set_pulses,reset_pulses,level,window_low_s,window_high_s FROM import_records";
        using var r = cmd.ExecuteReader();
        int? Int(int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
        while (r.Read())
        {
            var key = new RecordKey(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4));
            map[key] = new ImportAnnotation
            {
                Key = key,
                SourceFile = r.GetString(5),
                SourceLine = r.GetInt32(6),
                Phase = r.IsDBNull(7) ? null : r.GetString(7),
                TemperatureK = Nullable(r, 8),
                Cycle = Int(9),
                Repeat = Int(10),
                Verified = r.IsDBNull(11) ? null : r.GetInt64(11) != 0,
                SetPulses = Int(12),
                ResetPulses = Int(13),
                Level = Int(14),
                WindowLowS = Nullable(r, 15),
                WindowHighS = Nullable(r, 16),
            };
        }

        return map;
    }

    private bool HasImportTables() => Scalar(_db, "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='imports'") is long n && n > 0;

    /// <summary>
    /// Runs one statement and disposes its command at once (as every command here is): an undisposed command's statement handle outlives the
    /// connection's Dispose until the garbage collector finalises it, and until then SQLite keeps the store open, with its
    /// -wal and -shm beside it (seen as a read-only `run --from-store` finding them after `import`).
    /// </summary>
    private void Execute(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(tx, sql, parameters);
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    /// <summary>What an import adds to <see cref="Write"/>'s transaction: before the records (the procedure row they reference) and after them.</summary>
    internal sealed record ImportTransaction(Action<SqliteTransaction> Before, Action<SqliteTransaction> After);
}

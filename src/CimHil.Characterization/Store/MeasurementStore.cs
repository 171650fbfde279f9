using System.Globalization;
using CimHil.Core.Chip;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CimHil.Characterization.Store;

/// <summary>
/// One characterisation run in one SQLite file: the run's provenance and plan, the procedures, every
/// pulse and read with its chip timestamp, and the units of work already completed.
/// Writes go through <see cref="UnitBatch"/>: the measurements of a unit and the unit's completion are one
/// transaction, so after a crash a unit is either wholly present or absent, and resuming redoes exactly the
/// absent ones. The primary keys make a duplicate record impossible rather than merely unlikely. Every commit is also
/// acknowledged in a <see cref="CommitJournal"/> next to the file, so a store that silently lost commits is refused on open.
/// </summary>
public sealed partial class MeasurementStore : IDisposable
{
    /// <summary>PRAGMA application_id of our files: "CIMH" in ASCII (SQLite file format, header offset 68).</summary>
    public const int ApplicationId = 0x43494D48;

    /// <summary>PRAGMA user_version: the schema version of the store (2 added measurements.uncertain; a version-1 file gains it on its first write).</summary>
    public const int SchemaVersion = 2;

    private readonly SqliteConnection _db;
    private sqlite3_stmt? _rawInsert;
    private readonly SqliteCommand _insertUnit;
    private readonly SqliteCommand _bumpSequence;
    private readonly CommitJournal? _journal;
    private CommitMark _mark;
    private bool _disposed;

    private MeasurementStore(string path, SqliteConnection db, RunInfo run, int session, CommitMark mark, CommitJournal? journal)
    {
        Path = path;
        _db = db;
        Run = run;
        Session = session;
        _mark = mark;
        _journal = journal;
        _insertUnit = Prepare(
            "INSERT INTO units(procedure,row,col,step,outcome,target_s,value_s,pulses,session,completed_ticks) VALUES($p,$r,$c,$s,$o,$t,$val,$n,$sess,$ts)",
            "$p", "$r", "$c", "$s", "$o", "$t", "$val", "$n", "$sess", "$ts");
        _bumpSequence = Prepare("UPDATE commit_seq SET seq=seq+1 WHERE id=1");
    }

    public string Path { get; }

    public RunInfo Run { get; private set; }

    /// <summary>This process's session number: 1 for the first start, +1 for each resume.</summary>
    public int Session { get; }

    /// <summary>
    /// Registers a procedure with its parameters; on resume the parameters must be those its stored records were taken
    /// with. A procedure registered but with nothing stored yet takes the new parameters (a corrected plan).
    /// </summary>
    public void BeginProcedure(string procedure, int ordinal, string parametersJson, DateTimeOffset now)
    {
        if (RequireParametersKept(procedure, parametersJson) is { } existing)
        {
            if (string.Equals(existing, parametersJson, StringComparison.Ordinal))
            {
                return;
            }

            using var update = _db.CreateCommand();
            update.CommandText = "UPDATE procedures SET parameters_json=$j, started_utc=$t WHERE procedure=$p";
            update.Parameters.AddWithValue("$p", procedure);
            update.Parameters.AddWithValue("$j", parametersJson);
            update.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
            update.ExecuteNonQuery();
            return;
        }

        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO procedures(procedure,ordinal,parameters_json,started_utc) VALUES($p,$o,$j,$t)";
        cmd.Parameters.AddWithValue("$p", procedure);
        cmd.Parameters.AddWithValue("$o", ordinal);
        cmd.Parameters.AddWithValue("$j", parametersJson);
        cmd.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Refuses <paramref name="parametersJson"/> for a procedure that has records stored under other parameters; returns
    /// the stored parameters (null when the procedure never started).
    /// </summary>
    public string? RequireParametersKept(string procedure, string parametersJson)
    {
        var existing = ProcedureParameters(procedure);
        if (existing is not null && !string.Equals(existing, parametersJson, StringComparison.Ordinal) && HasRecords(procedure))
        {
            throw new MeasurementStoreException(Path, $"procedure '{procedure}' was started with other parameters than the plan now gives; resume with the run's own plan");
        }

        return existing;
    }

    /// <summary>Whether a measurement or unit of the procedure is stored; from then on its parameters are fixed.</summary>
    public bool HasRecords(string procedure)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM measurements WHERE procedure=$p) OR EXISTS(SELECT 1 FROM units WHERE procedure=$p)";
        cmd.Parameters.AddWithValue("$p", procedure);
        return cmd.ExecuteScalar() is long l && l == 1;
    }

    /// <summary>
    /// Makes <paramref name="planJson"/> the run's plan (a resume with a corrected plan), so calibration and a later
    /// resume read the plan the measurements follow. The caller has checked that no procedure with records changed.
    /// </summary>
    public void ReplacePlan(string planJson)
    {
        using var cmd = _db.CreateCommand();
        var hash = Hash(planJson);
        cmd.CommandText = "UPDATE run SET plan_json=$plan, plan_hash=$hash WHERE id=1";
        cmd.Parameters.AddWithValue("$plan", planJson);
        cmd.Parameters.AddWithValue("$hash", hash);
        cmd.ExecuteNonQuery();
        Run = Run with { PlanJson = planJson, PlanHash = hash };
    }

    public void FinishProcedure(string procedure, DateTimeOffset now)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "UPDATE procedures SET finished_utc=$t WHERE procedure=$p AND finished_utc IS NULL";
        cmd.Parameters.AddWithValue("$p", procedure);
        cmd.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public bool IsProcedureFinished(string procedure)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT finished_utc IS NOT NULL FROM procedures WHERE procedure=$p";
        cmd.Parameters.AddWithValue("$p", procedure);
        return cmd.ExecuteScalar() is long l && l == 1;
    }

    /// <summary>The procedure's stored parameters, or null when it never started.</summary>
    public string? ProcedureParameters(string procedure)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT parameters_json FROM procedures WHERE procedure=$p";
        cmd.Parameters.AddWithValue("$p", procedure);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Marks the run finished (all procedures done).</summary>
    public void FinishRun(DateTimeOffset now)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "UPDATE run SET finished_utc=$t WHERE id=1; UPDATE sessions SET ended_utc=$t, outcome='finished' WHERE session=$s";
        cmd.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$s", Session);
        cmd.ExecuteNonQuery();
        Run = Run with { FinishedUtc = now };
    }

    /// <summary>The units of a procedure that are complete (their measurements are all stored).</summary>
    public HashSet<UnitKey> CompletedUnits(string procedure)
    {
        var set = new HashSet<UnitKey>();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT row,col,step FROM units WHERE procedure=$p";
        cmd.Parameters.AddWithValue("$p", procedure);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            set.Add(new UnitKey(procedure, r.GetInt32(0), r.GetInt32(1), r.GetInt32(2)));
        }

        return set;
    }

    /// <summary>A batch of units written in one transaction when <see cref="UnitBatch.Commit"/> is called.</summary>
    public UnitBatch BeginBatch() => new(this);

    /// <summary>Every unit result of a procedure (all procedures when null), in key order.</summary>
    public IReadOnlyList<UnitResult> Units(string? procedure = null)
    {
        var list = new List<UnitResult>();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT procedure,row,col,step,outcome,target_s,value_s,pulses,session FROM units" +
            (procedure is null ? string.Empty : " WHERE procedure=$p") + " ORDER BY procedure,row,col,step";
        if (procedure is not null)
        {
            cmd.Parameters.AddWithValue("$p", procedure);
        }

        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new UnitResult
            {
                Key = new UnitKey(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3)),
                Outcome = r.GetString(4),
                TargetS = r.IsDBNull(5) ? null : r.GetDouble(5),
                ValueS = r.IsDBNull(6) ? null : r.GetDouble(6),
                Pulses = r.GetInt32(7),
                Session = r.GetInt32(8),
            });
        }

        return list;
    }

    /// <summary>
    /// Streams the measurements of a procedure (all when null), optionally of one role, in key order. By default only the
    /// records of finished units, taken by the session that finished them: records an aborted attempt left (kept so that
    /// no applied pulse goes unrecorded) are included only with <paramref name="includeUnfinished"/>.
    /// </summary>
    public IEnumerable<Measurement> Measurements(string? procedure = null, string? role = null, bool includeUnfinished = false)
    {
        var hasUncertain = HasUncertainColumn();
        using var cmd = _db.CreateCommand();
        var where = new List<string>();
        if (procedure is not null)
        {
            where.Add("m.procedure=$p");
            cmd.Parameters.AddWithValue("$p", procedure);
        }

        if (role is not null)
        {
            where.Add("m.role=$role");
            cmd.Parameters.AddWithValue("$role", role);
        }

        if (!includeUnfinished)
        {
            where.Add(FinishedAttempt);
        }

        cmd.CommandText = "SELECT m.procedure,m.row,m.col,m.step,m.seq,m.kind,m.role,m.polarity,m.voltage_v,m.width_seconds,m.gate_v,m.compliance_a,m.current_a,m.conductance_s,m.target_s,m.elapsed_seconds,m.formed,m.timestamp_ticks,m.session," +
            (hasUncertain ? "m.uncertain" : "NULL") + " FROM measurements m" +
            (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) + " ORDER BY m.procedure,m.row,m.col,m.step,m.seq";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return new Measurement
            {
                Key = new RecordKey(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4)),
                Kind = Enum.Parse<MeasurementKind>(r.GetString(5), ignoreCase: true),
                Role = r.GetString(6),
                Polarity = r.IsDBNull(7) ? null : Enum.Parse<PulsePolarity>(r.GetString(7), ignoreCase: true),
                VoltageV = Nullable(r, 8),
                WidthSeconds = Nullable(r, 9),
                GateVoltageV = Nullable(r, 10),
                ComplianceA = Nullable(r, 11),
                CurrentA = Nullable(r, 12),
                ConductanceS = Nullable(r, 13),
                TargetS = Nullable(r, 14),
                ElapsedSeconds = Nullable(r, 15),
                Formed = r.IsDBNull(16) ? null : r.GetInt64(16) != 0,
                Timestamp = new DateTimeOffset(r.GetInt64(17), TimeSpan.Zero),
                Session = r.GetInt32(18),
                Uncertain = r.IsDBNull(19) ? null : ParseUncertain(r.GetString(19)),
            };
        }
    }

    /// <summary>The timestamp of the last pulse each cell received in one step of a procedure.</summary>
    public Dictionary<(int Row, int Column), DateTimeOffset> LastPulseTimes(string procedure, int? step)
    {
        var map = new Dictionary<(int Row, int Column), DateTimeOffset>();
        using var cmd = _db.CreateCommand();
        // A pulse shown not applied never reached the cell, so it does not start the cell's drift.
        cmd.CommandText = "SELECT row,col,MAX(timestamp_ticks) FROM measurements WHERE procedure=$p AND kind='pulse'" +
            (HasUncertainColumn() ? " AND (uncertain IS NULL OR uncertain<>'not-applied')" : string.Empty) + (step is null ? string.Empty : " AND step=$s") + " GROUP BY row,col";
        cmd.Parameters.AddWithValue("$p", procedure);
        if (step is { } st)
        {
            cmd.Parameters.AddWithValue("$s", st);
        }

        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            map[(r.GetInt32(0), r.GetInt32(1))] = new DateTimeOffset(r.GetInt64(2), TimeSpan.Zero);
        }

        return map;
    }

    /// <summary>Row counts per table, for summaries and tests.</summary>
    public (long Measurements, long Units, long Procedures) Counts()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT (SELECT COUNT(*) FROM measurements),(SELECT COUNT(*) FROM units),(SELECT COUNT(*) FROM procedures)";
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    /// <summary>Names of the procedures in the order they ran.</summary>
    public IReadOnlyList<string> Procedures()
    {
        var list = new List<string>();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT procedure FROM procedures ORDER BY ordinal";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    /// <summary>The latest chip timestamp stored, so a restarted virtual clock can be brought forward past it.</summary>
    public DateTimeOffset? LatestTimestamp()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT MAX(timestamp_ticks) FROM measurements";
        return cmd.ExecuteScalar() is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _rawInsert?.Dispose();
        _insertUnit.Dispose();
        _bumpSequence.Dispose();
        _journal?.Dispose();
        _db.Dispose();
    }

    internal void Write(IReadOnlyList<Measurement> measurements, IReadOnlyList<UnitResult> units, DateTimeOffset now, ImportTransaction? import = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        AddUncertainColumnIfMissing();
        using var tx = _db.BeginTransaction();
        CommitMark after;
        import?.Before(tx);

        // Measurements go through SQLite's C API with a statement prepared once and bound by index: the ADO.NET
        // command path costs several µs per row (reader set-up, bind by name), which dominated a 64×64 characterisation.
        var stmt = _rawInsert ??= PrepareRaw();
        foreach (var m in measurements)
        {
            raw.sqlite3_reset(stmt);
            raw.sqlite3_bind_text(stmt, 1, m.Key.Procedure);
            raw.sqlite3_bind_int(stmt, 2, m.Key.Row);
            raw.sqlite3_bind_int(stmt, 3, m.Key.Column);
            raw.sqlite3_bind_int(stmt, 4, m.Key.Step);
            raw.sqlite3_bind_int(stmt, 5, m.Key.Seq);
            raw.sqlite3_bind_text(stmt, 6, KindName(m.Kind));
            raw.sqlite3_bind_text(stmt, 7, m.Role);
            if (m.Polarity is { } pol)
            {
                raw.sqlite3_bind_text(stmt, 8, pol == PulsePolarity.Set ? "set" : "reset");
            }
            else
            {
                raw.sqlite3_bind_null(stmt, 8);
            }

            BindDouble(stmt, 9, m.VoltageV);
            BindDouble(stmt, 10, m.WidthSeconds);
            BindDouble(stmt, 11, m.GateVoltageV);
            BindDouble(stmt, 12, m.ComplianceA);
            BindDouble(stmt, 13, m.CurrentA);
            BindDouble(stmt, 14, m.ConductanceS);
            BindDouble(stmt, 15, m.TargetS);
            BindDouble(stmt, 16, m.ElapsedSeconds);
            if (m.Formed is { } f)
            {
                raw.sqlite3_bind_int(stmt, 17, f ? 1 : 0);
            }
            else
            {
                raw.sqlite3_bind_null(stmt, 17);
            }

            raw.sqlite3_bind_int64(stmt, 18, m.Timestamp.UtcTicks);
            raw.sqlite3_bind_int(stmt, 19, Session);
            if (m.Uncertain is { } uncertain)
            {
                raw.sqlite3_bind_text(stmt, 20, UncertainName(uncertain));
            }
            else
            {
                raw.sqlite3_bind_null(stmt, 20);
            }

            var rc = raw.sqlite3_step(stmt);
            if (rc != raw.SQLITE_DONE)
            {
                var message = raw.sqlite3_errmsg(_db.Handle).utf8_to_string();
                raw.sqlite3_reset(stmt);
                throw (rc & 0xFF) == raw.SQLITE_CONSTRAINT
                    ? new MeasurementStoreException(Path, $"{m.Key} is already stored; a record is never written twice ({message})")
                    : new MeasurementStoreException(Path, $"cannot store {m.Key}: {message}");
            }
        }

        raw.sqlite3_reset(stmt);
        _insertUnit.Transaction = tx;
        try
        {
            var u = _insertUnit.Parameters;
            foreach (var unit in units)
            {
                u[0].Value = unit.Key.Procedure;
                u[1].Value = unit.Key.Row;
                u[2].Value = unit.Key.Column;
                u[3].Value = unit.Key.Step;
                u[4].Value = unit.Outcome;
                u[5].Value = Db(unit.TargetS);
                u[6].Value = Db(unit.ValueS);
                u[7].Value = unit.Pulses;
                u[8].Value = Session;
                u[9].Value = now.UtcTicks;
                Insert(_insertUnit, $"unit {unit.Key.Procedure}({unit.Key.Row},{unit.Key.Column})#{unit.Key.Step}");
            }

            import?.After(tx);
            _bumpSequence.Transaction = tx;
            _bumpSequence.ExecuteNonQuery();
            after = new CommitMark(_mark.Sequence + 1, _mark.Units + units.Count, _mark.Measurements + measurements.Count);
            CommitListener?.BeforeCommit(after);
            tx.Commit();
        }
        finally
        {
            _insertUnit.Transaction = null;
            _bumpSequence.Transaction = null;
        }

        // Acknowledged only once the journal has it on disk; a death in between leaves the journal one behind, which is safe.
        _mark = after;
        _journal?.Append(_mark);
        CommitListener?.AfterCommit(_mark);
    }

    private void Insert(SqliteCommand cmd, string what)
    {
        try
        {
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == raw.SQLITE_CONSTRAINT)
        {
            // The key exists. The procedures never write a key twice, so this is a bug, not data.
            throw new MeasurementStoreException(Path, $"{what} is already stored; a record is never written twice", ex);
        }
    }

    private static void BindDouble(sqlite3_stmt stmt, int index, double? value)
    {
        if (value is { } d)
        {
            raw.sqlite3_bind_double(stmt, index, d);
        }
        else
        {
            raw.sqlite3_bind_null(stmt, index);
        }
    }

    private sqlite3_stmt PrepareRaw()
    {
        const string sql = "INSERT INTO measurements(procedure,row,col,step,seq,kind,role,polarity,voltage_v,width_seconds,gate_v,compliance_a,current_a,conductance_s,target_s,elapsed_seconds,formed,timestamp_ticks,session,uncertain) " +
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        var rc = raw.sqlite3_prepare_v2(_db.Handle, sql, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            throw new MeasurementStoreException(Path, $"cannot prepare the measurement insert: {raw.sqlite3_errmsg(_db.Handle).utf8_to_string()}");
        }

        return stmt;
    }

    private SqliteCommand Prepare(string sql, params string[] names)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var n in names)
        {
            cmd.Parameters.Add(new SqliteParameter { ParameterName = n });
        }

        return cmd;
    }

    private static object Db(double? v) => v is { } d ? d : DBNull.Value;

    private static double? Nullable(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);

    private static string KindName(MeasurementKind k) => k switch
    {
        MeasurementKind.Pulse => "pulse",
        MeasurementKind.Read => "read",
        _ => "form",
    };

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

using CimHil.Core.Chip;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CimHil.Characterization.Store;

/// <summary>How a batch is written: one transaction of measurements (through a raw prepared statement) and units, plus the commit mark.</summary>
public sealed partial class MeasurementStore
{
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
        RaiseStored(measurements, units);
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
    private static string KindName(MeasurementKind k) => k switch
    {
        MeasurementKind.Pulse => "pulse",
        MeasurementKind.Read => "read",
        _ => "form",
    };
}

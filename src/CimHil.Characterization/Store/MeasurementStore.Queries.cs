using CimHil.Core.Chip;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Store;

/// <summary>What the store holds: units, measurements, pulse times, counts and procedures, read back for procedures and calibration.</summary>
public sealed partial class MeasurementStore
{
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


    private static double? Nullable(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
}

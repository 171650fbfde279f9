using System.Globalization;

namespace CimHil.Characterization.Store;

/// <summary>
/// Records of unfinished attempts and uncertain pulses. A unit's records are normally written with its completion; when
/// a run aborts, what was measured of the unit in progress is written too (an applied pulse is never discarded), and a
/// later session redoes the unit with sequence numbers after the stored ones. The records of the attempt that finished
/// a unit are those taken in the unit's own session; the others are the traces of aborted attempts.
/// </summary>
public sealed partial class MeasurementStore
{
    /// <summary>SQL condition on a measurement aliased m: it belongs to a finished unit and was taken by the session that finished it.</summary>
    private const string FinishedAttempt =
        "EXISTS (SELECT 1 FROM units u WHERE u.procedure=m.procedure AND u.row=m.row AND u.col=m.col AND u.step=m.step AND u.session=m.session)";

    private bool? _hasUncertainColumn;

    /// <summary>
    /// For each unit of <paramref name="procedure"/> that has records but no completion (an aborted attempt), the first
    /// free sequence number: a redo continues there, so its records never collide with the stored ones.
    /// </summary>
    public Dictionary<UnitKey, int> NextSeqOfUnfinishedUnits(string procedure)
    {
        var map = new Dictionary<UnitKey, int>();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT m.row,m.col,m.step,MAX(m.seq)+1 FROM measurements m WHERE m.procedure=$p AND NOT EXISTS " +
            "(SELECT 1 FROM units u WHERE u.procedure=m.procedure AND u.row=m.row AND u.col=m.col AND u.step=m.step) GROUP BY m.row,m.col,m.step";
        cmd.Parameters.AddWithValue("$p", procedure);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            map[new UnitKey(procedure, r.GetInt32(0), r.GetInt32(1), r.GetInt32(2))] = r.GetInt32(3);
        }

        return map;
    }

    /// <summary>Pulse and forming records by what is known of them: confirmed, uncertain-applied, uncertain-not-applied, unknown.</summary>
    public (long Confirmed, long UncertainApplied, long NotApplied, long Unknown) PulseRecordCounts(MeasurementKind kind)
    {
        if (kind == MeasurementKind.Read)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "reads are not pulses");
        }

        using var cmd = _db.CreateCommand();
        var column = HasUncertainColumn() ? "uncertain" : "NULL";
        cmd.CommandText = $"SELECT COALESCE({column},'confirmed'),COUNT(*) FROM measurements WHERE kind=$k GROUP BY 1";
        cmd.Parameters.AddWithValue("$k", kind == MeasurementKind.Pulse ? "pulse" : "form");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            counts[r.GetString(0)] = r.GetInt64(1);
        }

        return (counts.GetValueOrDefault("confirmed"), counts.GetValueOrDefault("applied"), counts.GetValueOrDefault("not-applied"), counts.GetValueOrDefault("unknown"));
    }

    private static string UncertainName(UncertainOutcome outcome) => outcome switch
    {
        UncertainOutcome.Applied => "applied",
        UncertainOutcome.NotApplied => "not-applied",
        _ => "unknown",
    };

    private UncertainOutcome ParseUncertain(string text) => text switch
    {
        "applied" => UncertainOutcome.Applied,
        "not-applied" => UncertainOutcome.NotApplied,
        "unknown" => UncertainOutcome.Unknown,
        _ => throw new MeasurementStoreException(Path, $"measurements.uncertain holds '{text}', expected applied, not-applied or unknown"),
    };

    private bool HasUncertainColumn()
    {
        if (_hasUncertainColumn is { } known)
        {
            return known;
        }

        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM pragma_table_info('measurements') WHERE name='uncertain'";
        var has = cmd.ExecuteScalar() is long n && n == 1;
        _hasUncertainColumn = has;
        return has;
    }

    /// <summary>A schema-1 store (written before uncertain pulses were recorded) gains the column on its first write.</summary>
    private void AddUncertainColumnIfMissing()
    {
        if (HasUncertainColumn())
        {
            return;
        }

        using var cmd = _db.CreateCommand();
        cmd.CommandText = "ALTER TABLE measurements ADD COLUMN uncertain TEXT CHECK (uncertain IN ('applied','not-applied','unknown')); " +
            string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version={SchemaVersion};");
        cmd.ExecuteNonQuery();
        _hasUncertainColumn = true;
    }
}

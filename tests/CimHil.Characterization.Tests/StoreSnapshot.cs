using System.Globalization;
using CimHil.Characterization.Store;

namespace CimHil.Characterization.Tests;

/// <summary>Everything a run measured, as text lines in key order: two runs are the same experiment when these are equal.</summary>
public static class StoreSnapshot
{
    /// <summary>Every unit (key, outcome, target, value, pulses) — sorted.</summary>
    public static List<string> Units(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return s.Units().Select(u => $"{u.Key} {u.Outcome} {F(u.TargetS)} {F(u.ValueS)} {u.Pulses}").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every record with every stored value and its chip timestamp — sorted; the session is left out.</summary>
    public static List<string> Records(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return s.Measurements()
            .Select(m => $"{m.Key} {m.Kind} {m.Role} {m.Polarity} {F(m.VoltageV)} {F(m.WidthSeconds)} {F(m.GateVoltageV)} {F(m.ComplianceA)} {F(m.CurrentA)} {F(m.TargetS)} {F(m.ElapsedSeconds)} {m.Formed} {m.Timestamp.UtcTicks}")
            .Order(StringComparer.Ordinal).ToList();
    }

    private static string F(double? v) => v?.ToString("R", CultureInfo.InvariantCulture) ?? "-";
}

using CimHil.Characterization.Store;

namespace CimHil.Server.Jobs;

/// <summary>
/// One commit of the store as the live stream carries it: how many records and pulses it held, the units it finished,
/// each cell's last read in it (row, column, siemens) and the store's totals after it.
/// </summary>
public sealed record LiveStored(
    int Measurements,
    int Pulses,
    IReadOnlyList<LiveUnit> Units,
    IReadOnlyList<double[]> Reads,
    long TotalMeasurements,
    long TotalUnits)
{
    public static LiveStored Of(StoredBatch batch, CommitMark totals)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var lastRead = new Dictionary<(int, int), double>();
        var pulses = 0;
        foreach (var m in batch.Measurements)
        {
            if (m.IsAppliedPulse)
            {
                pulses++;
            }

            if (m.Kind == MeasurementKind.Read && m.ConductanceS is { } g)
            {
                lastRead[(m.Key.Row, m.Key.Column)] = g;
            }
        }

        var units = batch.Units.Select(u => new LiveUnit(u.Key.Procedure, u.Key.Row, u.Key.Column, u.Key.Step, u.Outcome, u.TargetS, u.ValueS, u.Pulses)).ToList();
        var reads = lastRead.Select(kv => new[] { kv.Key.Item1, kv.Key.Item2, kv.Value }).ToList();
        return new LiveStored(batch.Measurements.Count, pulses, units, reads, totals.Measurements, totals.Units);
    }
}

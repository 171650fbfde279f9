namespace CimHil.Characterization.Store;

/// <summary>What one commit of a <see cref="MeasurementStore"/> wrote: its measurements and unit results, in the order written.</summary>
public sealed record StoredBatch(IReadOnlyList<Measurement> Measurements, IReadOnlyList<UnitResult> Units, int Session);

/// <summary>Who hears of records once they are stored (a live view: the bench server streams them to its clients).</summary>
public sealed partial class MeasurementStore
{
    /// <summary>
    /// Raised on the writing thread after every commit, with copies of what was committed. Handlers must be quick and must
    /// not throw: the records are already stored, so nothing a listener does can lose them.
    /// </summary>
    public event EventHandler<StoredBatch>? Stored;

    private void RaiseStored(IReadOnlyList<Measurement> measurements, IReadOnlyList<UnitResult> units)
    {
        if (Stored is { } handler && (measurements.Count > 0 || units.Count > 0))
        {
            handler(this, new StoredBatch([.. measurements], [.. units], Session));
        }
    }
}

namespace CimHil.Characterization.Store;

/// <summary>
/// Measurements and unit results collected while a batch of units is taken; <see cref="Commit"/> writes them in one
/// transaction. Disposing a batch that still holds records (the procedure was aborted: a link that stayed down, a
/// cancellation, a refusal) writes them too, as records of unfinished units: a pulse that was applied is never
/// discarded, and a resume redoes the unit after them (<see cref="MeasurementStore.NextSeqOfUnfinishedUnits"/>).
/// Only a crash of the process itself loses the batch in flight.
/// </summary>
public sealed class UnitBatch : IDisposable
{
    private readonly MeasurementStore _store;
    private readonly List<Measurement> _measurements = new(256);
    private readonly List<UnitResult> _units = new(64);

    internal UnitBatch(MeasurementStore store) => _store = store;

    public int Count => _measurements.Count;

    /// <summary>Units completed in this batch so far.</summary>
    public int UnitCount => _units.Count;

    public void Add(Measurement m) => _measurements.Add(m);

    public void Complete(UnitResult unit) => _units.Add(unit);

    /// <summary>Writes and commits everything added, then empties the batch for reuse.</summary>
    public void Commit(DateTimeOffset now)
    {
        if (_measurements.Count == 0 && _units.Count == 0)
        {
            return;
        }

        _store.Write(_measurements, _units, now);
        _measurements.Clear();
        _units.Clear();
    }

    /// <summary>Writes what is left (see the class summary); a batch committed to the end writes nothing here.</summary>
    public void Dispose()
    {
        if (_measurements.Count == 0 && _units.Count == 0)
        {
            return;
        }

        // The chip time of the last record stands for "now": an aborted procedure has no later reading of the chip clock.
        var now = _measurements.Count > 0 ? _measurements.Max(m => m.Timestamp) : DateTimeOffset.UtcNow;
        Commit(now);
    }
}

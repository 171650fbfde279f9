namespace CimHil.Characterization.Store;

/// <summary>
/// Measurements and unit results collected while a batch of units is taken; <see cref="Commit"/> writes them
/// in one transaction. A batch that is never committed (crash, cancellation) leaves no trace.
/// </summary>
public sealed class UnitBatch
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
}

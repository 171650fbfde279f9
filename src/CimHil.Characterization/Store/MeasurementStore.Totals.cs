namespace CimHil.Characterization.Store;

/// <summary>The running totals of committed records and units, and who is told about commits.</summary>
public sealed partial class MeasurementStore
{
    private StoreTotals? _totals;

    /// <summary>Told before and after every commit (the emulator-state checkpoint uses it); null for none.</summary>
    public IStoreCommitListener? CommitListener { get; set; }

    /// <summary>What the store holds now: counted once, then kept up to date by every commit of this process.</summary>
    public StoreTotals CommittedTotals()
    {
        if (_totals is null)
        {
            var (measurements, units, _) = Counts();
            _totals = new StoreTotals(measurements, units);
        }

        return _totals.Value;
    }
}

namespace CimHil.Characterization.Store;

/// <summary>How many measurement records and finished units a store holds: after a commit, its identity in the run's history.</summary>
public readonly record struct StoreTotals(long Measurements, long Units)
{
    public override string ToString() => $"{Units} units / {Measurements} records";
}

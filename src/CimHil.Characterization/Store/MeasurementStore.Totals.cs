namespace CimHil.Characterization.Store;

/// <summary>Who is told about commits, and how far the commits have got.</summary>
public sealed partial class MeasurementStore
{
    /// <summary>Told before and after every commit (the emulator-state checkpoint uses it); null for none.</summary>
    public IStoreCommitListener? CommitListener { get; set; }

    /// <summary>The store's commit mark now: commit sequence number and cumulative unit and record counts (set-aside ones included).</summary>
    public CommitMark CommittedMark => _mark;
}

namespace CimHil.Characterization.Store;

/// <summary>
/// Told around every commit of a <see cref="MeasurementStore"/>: state that must match the store exactly (the emulator's
/// saved state) is prepared before the commit and confirmed after it, so a crash at any instant leaves one copy that fits.
/// </summary>
public interface IStoreCommitListener
{
    /// <summary>Called inside the transaction, before it commits; <paramref name="after"/> is what the store will hold once it has.</summary>
    void BeforeCommit(CommitMark after);

    /// <summary>Called once the transaction has committed.</summary>
    void AfterCommit(CommitMark after);
}

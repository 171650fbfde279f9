namespace CimHil.Characterization;

/// <summary>How a characterisation treats a resume.</summary>
public sealed record CharacterizerOptions
{
    /// <summary>The defaults: a resume on a chip that is not the measured one is refused.</summary>
    public static CharacterizerOptions Default { get; } = new();

    /// <summary>
    /// Resume even when the chip is not the one that was measured: forming, the stuck map and every unfinished procedure
    /// start again from their beginning (their earlier records are kept aside, never deleted) and the change is recorded.
    /// </summary>
    public bool ResumeOnNewChip { get; init; }

    /// <summary>How many finished cells a resume re-reads to check that the chip still holds what was stored.</summary>
    public int FingerprintCells { get; init; } = 32;
}

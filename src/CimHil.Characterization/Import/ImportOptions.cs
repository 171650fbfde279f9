namespace CimHil.Characterization.Import;

/// <summary>How an import runs: whether bad rows are skipped (and listed) instead of stopping it, the run name of a new store, progress.</summary>
public sealed record ImportOptions
{
    public bool SkipBadRows { get; init; }

    /// <summary>The run name of a store the import creates.</summary>
    public string Name { get; init; } = "import";

    /// <summary>Hears the number of provenance rows written inside the import's transaction.</summary>
    public IProgress<long>? Progress { get; init; }

    /// <summary>The import time recorded in the store (the clock, unless a test fixes it).</summary>
    public DateTimeOffset? NowUtc { get; init; }
}

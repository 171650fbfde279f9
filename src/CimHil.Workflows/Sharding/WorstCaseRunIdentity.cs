namespace CimHil.Workflows.Sharding;

/// <summary>
/// What makes two worst-case sweeps comparable: the network (architecture, model SHA-256, devices), the box, the search
/// preset and budget, the images and the bounds. Every shard of a run carries it and the merge requires it identical.
/// </summary>
public sealed record WorstCaseRunIdentity
{
    /// <summary>Architecture of the network.</summary>
    public required string Architecture { get; init; }

    /// <summary>SHA-256 (hex) of the model file.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>The box model's description.</summary>
    public required string Bound { get; init; }

    /// <summary>Search preset.</summary>
    public required string Method { get; init; }

    /// <summary>Gradient steps per start.</summary>
    public required int Steps { get; init; }

    /// <summary>Random restarts after the first start.</summary>
    public required int Restarts { get; init; }

    /// <summary>Test images of the search.</summary>
    public required int Images { get; init; }

    /// <summary>Mapped devices.</summary>
    public required long Devices { get; init; }

    /// <summary>Accuracy of the mapped network without deviation.</summary>
    public required double CleanAccuracy { get; init; }

    /// <summary>The bounds k, ascending, invariant text ("0.5,1,2"): one string, so that identities compare by value.</summary>
    public required string Ks { get; init; }

    /// <summary>The run's seed (shard 0 searches with it; shard i &gt; 0 with a stream derived from it and i).</summary>
    public required long Seed { get; init; }
}

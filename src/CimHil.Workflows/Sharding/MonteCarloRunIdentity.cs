namespace CimHil.Workflows.Sharding;

/// <summary>
/// What makes two Monte-Carlo results comparable: the network (architecture and the SHA-256 of the model file), the
/// test images, the variation, the mapping's nominal accuracy and the run's seed, chips and percentile. Every shard of a
/// run carries it and the merge requires it identical.
/// </summary>
public sealed record MonteCarloRunIdentity
{
    /// <summary>Architecture of the network.</summary>
    public required string Architecture { get; init; }

    /// <summary>SHA-256 (hex) of the model file.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>Variation description.</summary>
    public required string Variation { get; init; }

    /// <summary>Test images per chip.</summary>
    public required int Images { get; init; }

    /// <summary>Chips of the whole run.</summary>
    public required int Chips { get; init; }

    /// <summary>Run seed (chip i uses the stream of (seed, i)).</summary>
    public required long Seed { get; init; }

    /// <summary>The k of the k-th percentile.</summary>
    public required double PercentileK { get; init; }

    /// <summary>Accuracy of the mapped network without variation.</summary>
    public required double NominalAccuracy { get; init; }
}

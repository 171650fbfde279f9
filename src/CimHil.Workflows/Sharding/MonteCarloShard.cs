using System.Collections.Immutable;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// What one Monte-Carlo shard leaves in the run folder (<c>shards/shard-I.json</c>): the accuracies of its chip range and
/// everything the merge must find equal in every shard (same model, data, variation, seed), so that shards of different
/// runs or builds are never merged into one result.
/// </summary>
public sealed record MonteCarloShard
{
    /// <summary>Shard index (0-based).</summary>
    public required int Shard { get; init; }

    /// <summary>Shards of the run.</summary>
    public required int ShardCount { get; init; }

    /// <summary>First chip index of this shard.</summary>
    public required int FirstChip { get; init; }

    /// <summary>Per-chip accuracies of chips FirstChip, FirstChip + 1, ….</summary>
    public required ImmutableArray<double> ChipAccuracies { get; init; }

    /// <summary>The settings every shard shares.</summary>
    public required MonteCarloRunIdentity Run { get; init; }

    /// <summary>Wall time of this shard's chip loop (not part of the merged result, which must not depend on timing).</summary>
    public required double ElapsedSeconds { get; init; }
}

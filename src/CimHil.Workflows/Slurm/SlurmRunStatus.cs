namespace CimHil.Workflows.Slurm;

/// <summary>A Slurm run folder as the queue and the folder show it now.</summary>
public sealed record SlurmRunStatus(SlurmRunManifest Manifest, IReadOnlyList<ShardStatus> Shards, string MergeState, string? MergeJobId)
{
    /// <summary>True when the merged result file is in the run folder.</summary>
    public bool Complete => MergeState == ShardStatus.Done;

    /// <summary>True when no shard and no merge job of the run is in the queue any more.</summary>
    public bool Settled => Shards.All(s => s.State is ShardStatus.Done or ShardStatus.Failed) && MergeState is ShardStatus.Done or ShardStatus.Failed;

    /// <summary>Shards that left the queue without a result.</summary>
    public IReadOnlyList<int> FailedShards => Shards.Where(s => s.State == ShardStatus.Failed).Select(s => s.Shard).ToArray();

    /// <summary>One line per shard state and the merge, e.g. "shards: 3 done, 1 failed (2); merge: failed".</summary>
    public string Summary()
    {
        var groups = Shards.GroupBy(s => s.State).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key == ShardStatus.Failed ? $"{g.Count()} failed ({string.Join(", ", g.Select(s => s.Shard))})" : $"{g.Count()} {g.Key}");
        return $"shards: {string.Join(", ", groups)}; merge: {MergeState}";
    }
}

namespace CimHil.Workflows.Slurm;

/// <summary>
/// Where one shard stands: <c>done</c> (its result file is in the run folder), a queue state in lower case
/// (<c>pending</c>, <c>running</c>, …) with its Slurm job id, or <c>failed</c> (it left the queue without a result:
/// failed, cancelled, timed out or lost with its node; its log says which).
/// </summary>
public sealed record ShardStatus(int Shard, string State, string? JobId)
{
    /// <summary>State of a shard with a result file.</summary>
    public const string Done = "done";

    /// <summary>State of a shard that left the queue without a result.</summary>
    public const string Failed = "failed";
}

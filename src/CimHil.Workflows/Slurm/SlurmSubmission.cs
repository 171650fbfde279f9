namespace CimHil.Workflows.Slurm;

/// <summary>One sbatch round: the array job that ran <see cref="Shards"/> and the merge job that waited for it.</summary>
public sealed record SlurmSubmission(string ArrayJobId, string MergeJobId, IReadOnlyList<int> Shards, DateTimeOffset SubmittedUtc);

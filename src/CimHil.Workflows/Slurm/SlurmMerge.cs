using CimHil.Workflows.Sharding;

namespace CimHil.Workflows.Slurm;

/// <summary>The merge job's work (<c>cimhil slurm merge RUN</c>): the shards of the run folder into its result file.</summary>
public static class SlurmMerge
{
    /// <summary>The sharded commands the merge knows.</summary>
    public const string EvaluateKind = "evaluate";

    /// <summary>The sharded worst-case sweep.</summary>
    public const string WorstCaseKind = "worst-case";

    /// <summary>The sharded study (one shard per method).</summary>
    public const string StudyKind = "study";

    /// <summary>Merges the run in <paramref name="runFolder"/> and writes its result file; returns the file's path.</summary>
    public static async Task<string> MergeAsync(string runFolder, CancellationToken cancellationToken)
    {
        var manifest = await SlurmRunManifest.LoadAsync(runFolder, cancellationToken);
        var path = Path.Combine(runFolder, manifest.ResultFile);
        switch (manifest.Kind)
        {
            case EvaluateKind:
                var merged = await MonteCarloShardMerge.MergeAsync(runFolder, manifest.ShardCount, cancellationToken);
                await merged.WriteAsync(path, cancellationToken);
                return path;
            case WorstCaseKind:
                var curve = await WorstCaseShardMerge.MergeAsync(runFolder, manifest.ShardCount, cancellationToken);
                await curve.WriteAsync(path, cancellationToken);
                return path;
            case StudyKind:
                await StudyShardMerge.MergeAsync(runFolder, manifest.ShardCount, cancellationToken);
                return path;
            default:
                throw new SlurmException($"{Path.Combine(runFolder, SlurmRunManifest.FileName)}: kind '{manifest.Kind}' is not one this version merges ({EvaluateKind}, {WorstCaseKind}, {StudyKind})");
        }
    }
}

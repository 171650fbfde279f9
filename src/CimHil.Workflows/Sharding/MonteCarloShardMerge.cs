using System.Text.Json;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// Merges the Monte-Carlo shards of a run folder into the result one process would have written: accuracies placed by
/// chip index, then the same summary and bootstrap (seeded by the run seed) as <see cref="MonteCarloEvaluator.Run"/>.
/// </summary>
public static class MonteCarloShardMerge
{
    /// <summary>Writes one shard's file atomically.</summary>
    public static Task WriteShardAsync(string path, MonteCarloShard shard, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(shard, WorkflowJson.Options) + "\n", cancellationToken);
    }

    /// <summary>
    /// The merged result of the <paramref name="shardCount"/> shards in <paramref name="runFolder"/>. Missing shards, a
    /// shard of another run (identity differs) or chip ranges that do not tile the run are refused, naming the shard.
    /// </summary>
    public static async Task<MonteCarloResultFile> MergeAsync(string runFolder, int shardCount, CancellationToken cancellationToken)
    {
        var missing = ShardFiles.Missing(runFolder, shardCount);
        if (missing.Count > 0)
        {
            throw new InvalidDataException(ShardFiles.MissingMessage(runFolder, shardCount, missing));
        }

        var shards = new List<MonteCarloShard>(shardCount);
        for (var i = 0; i < shardCount; i++)
        {
            var path = ShardFiles.ResultPath(runFolder, i);
            var shard = await StageResultFile.ReadJsonAsync<MonteCarloShard>(path, WorkflowJson.Options, s => s.Run is not null, cancellationToken);
            if (shard.Shard != i || shard.ShardCount != shardCount)
            {
                throw new InvalidDataException($"{path}: holds shard {shard.Shard} of {shard.ShardCount}, expected shard {i} of {shardCount}");
            }

            if (shards.Count > 0 && shard.Run != shards[0].Run)
            {
                throw new InvalidDataException($"{path}: belongs to another run than shard 0 ({Describe(shard.Run)} against {Describe(shards[0].Run)})");
            }

            var expected = new ShardRange(i, shardCount, shard.Run.Chips);
            if (shard.FirstChip != expected.First || shard.ChipAccuracies.Length != expected.Count)
            {
                throw new InvalidDataException($"{path}: chips {shard.FirstChip}…{shard.FirstChip + shard.ChipAccuracies.Length - 1}, expected {expected.First}…{expected.First + expected.Count - 1}");
            }

            shards.Add(shard);
        }

        var run = shards[0].Run;
        var accuracies = shards.SelectMany(s => s.ChipAccuracies).ToArray();
        var options = new MonteCarloOptions { Chips = run.Chips, Seed = run.Seed, Percentile = run.PercentileK };
        var result = MonteCarloEvaluator.Summarise(accuracies, run.NominalAccuracy, run.Images, options, run.Variation, shards.Sum(s => s.ElapsedSeconds));
        return MonteCarloResultFile.From(result, run);
    }

    private static string Describe(MonteCarloRunIdentity r) =>
        $"{r.Architecture} model {r.ModelSha256[..Math.Min(12, r.ModelSha256.Length)]}, {r.Images} images, {r.Variation}, seed {r.Seed}, {r.Chips} chips";
}

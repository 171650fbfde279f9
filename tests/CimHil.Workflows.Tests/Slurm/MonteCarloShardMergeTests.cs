using CimHil.Simulation.MonteCarlo;
using CimHil.Workflows.Sharding;

namespace CimHil.Workflows.Tests.Slurm;

public sealed class MonteCarloShardMergeTests
{
    private static readonly MonteCarloRunIdentity Run = new()
    {
        Architecture = "lenet5", ModelSha256 = "ab12", Variation = "gaussian", Images = 100, Chips = 10, Seed = 3, PercentileK = 10, NominalAccuracy = 0.9,
    };

    [Theory]
    [InlineData(10, 4)]
    [InlineData(64, 4)]
    [InlineData(3, 5)]
    [InlineData(1000, 7)]
    public void Shard_ranges_tile_the_chips_once_each_in_order(int total, int shards)
    {
        var ranges = Enumerable.Range(0, shards).Select(i => new ShardRange(i, shards, total)).ToArray();
        Assert.Equal(Enumerable.Range(0, total), ranges.SelectMany(r => Enumerable.Range(r.First, r.Count)));
        Assert.True(ranges.Max(r => r.Count) - ranges.Min(r => r.Count) <= 1);
    }

    [Fact]
    public async Task The_merge_equals_the_summary_of_all_chips_in_one_process()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-merge-").FullName;
        var accuracies = Enumerable.Range(0, 10).Select(i => 0.5 + (0.037 * ((i * 7) % 10))).ToArray();
        await WriteShardsAsync(folder, accuracies, 3);
        var merged = await MonteCarloShardMerge.MergeAsync(folder, 3, CancellationToken.None);
        var direct = MonteCarloEvaluator.Summarise(accuracies, 0.9, 100, new MonteCarloOptions { Chips = 10, Seed = 3, Percentile = 10 }, "gaussian", 0);
        Assert.Equal(MonteCarloResultFile.From(direct, Run), merged with { ChipAccuracies = direct.ChipAccuracies });
        Assert.Equal(accuracies, merged.ChipAccuracies);
    }

    [Fact]
    public async Task Missing_shards_and_a_shard_of_another_run_are_named()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-merge-").FullName;
        var accuracies = new double[10];
        await WriteShardsAsync(folder, accuracies, 3);
        File.Delete(ShardFiles.ResultPath(folder, 1));
        var missing = await Assert.ThrowsAsync<InvalidDataException>(() => MonteCarloShardMerge.MergeAsync(folder, 3, CancellationToken.None));
        Assert.Contains("shard 1 of 3 left no result", missing.Message, StringComparison.Ordinal);

        await WriteShardsAsync(folder, accuracies, 3, run1: Run with { Seed = 4 });
        var other = await Assert.ThrowsAsync<InvalidDataException>(() => MonteCarloShardMerge.MergeAsync(folder, 3, CancellationToken.None));
        Assert.Contains("shard-1.json: belongs to another run than shard 0", other.Message, StringComparison.Ordinal);
        Assert.Contains("seed 4", other.Message, StringComparison.Ordinal);
    }

    private static async Task WriteShardsAsync(string folder, double[] accuracies, int shards, MonteCarloRunIdentity? run1 = null)
    {
        for (var i = 0; i < shards; i++)
        {
            var range = new ShardRange(i, shards, accuracies.Length);
            await MonteCarloShardMerge.WriteShardAsync(ShardFiles.ResultPath(folder, i), new MonteCarloShard
            {
                Shard = i, ShardCount = shards, FirstChip = range.First, ChipAccuracies = [.. accuracies.Skip(range.First).Take(range.Count)],
                Run = i == 1 && run1 is not null ? run1 : Run, ElapsedSeconds = 1,
            }, CancellationToken.None);
        }
    }
}

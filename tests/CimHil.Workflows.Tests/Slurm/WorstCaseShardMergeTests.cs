using CimHil.Workflows.Sharding;

namespace CimHil.Workflows.Tests.Slurm;

public sealed class WorstCaseShardMergeTests
{
    private static readonly WorstCaseRunIdentity Run = new()
    {
        Architecture = "lenet5", ModelSha256 = "ab", Bound = "box", Method = "default", Steps = 4, Restarts = 1, Images = 100, Devices = 10,
        CleanAccuracy = 0.9, Ks = "0.5,1,2", Seed = 1,
    };

    [Fact]
    public async Task Each_bound_takes_the_most_harmful_delta_of_all_shards_or_a_smaller_bounds_when_that_is_worse()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-wc-merge-").FullName;
        // Shard 0: 0.6, 0.5, 0.45; shard 1: 0.55, 0.52, 0.3 → k=0.5 from shard 1; k=1 from shard 0 (0.5) but shard 1's
        // k=0.5 Δ (0.55) is not worse; k=2 from shard 1 (0.3).
        await WriteShardAsync(folder, 0, [0.6, 0.5, 0.45]);
        await WriteShardAsync(folder, 1, [0.55, 0.52, 0.3]);
        var merged = await WorstCaseShardMerge.MergeAsync(folder, 2, CancellationToken.None);
        Assert.Equal([0.55, 0.5, 0.3], merged.Points.Select(p => p.Accuracy));
        Assert.Equal([1, 0, 1], merged.Points.Select(p => p.Shard ?? -1));
        Assert.All(merged.Points, p => Assert.False(p.FromSmallerBound));
        // The chosen Δ files are copied into worst-case/ under their bound's name.
        Assert.Equal("s1-k0.5", await File.ReadAllTextAsync(Path.Combine(folder, "worst-case", "worst-case-k0.5.safetensors")));
        Assert.Equal("s0-k1", await File.ReadAllTextAsync(Path.Combine(folder, "worst-case", "worst-case-k1.safetensors")));
        Assert.Equal("s1-k2", await File.ReadAllTextAsync(Path.Combine(folder, "worst-case", "worst-case-k2.safetensors")));
    }

    [Fact]
    public async Task A_smaller_bounds_delta_that_is_more_harmful_is_used_and_marked()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-wc-merge-").FullName;
        await WriteShardAsync(folder, 0, [0.6, 0.5, 0.45]);
        await WriteShardAsync(folder, 1, [0.2, 0.52, 0.3]);
        var merged = await WorstCaseShardMerge.MergeAsync(folder, 2, CancellationToken.None);
        Assert.Equal([0.2, 0.2, 0.2], merged.Points.Select(p => p.Accuracy));
        Assert.Equal([false, true, true], merged.Points.Select(p => p.FromSmallerBound));
        Assert.Equal([0.5, 1.0, 2.0], merged.Points.Select(p => p.K));
        Assert.Equal("s1-k0.5", await File.ReadAllTextAsync(Path.Combine(folder, "worst-case", "worst-case-k2.safetensors")));
    }

    [Fact]
    public async Task A_shard_of_another_sweep_is_refused()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-wc-merge-").FullName;
        await WriteShardAsync(folder, 0, [0.6, 0.5, 0.45]);
        await WriteShardAsync(folder, 1, [0.6, 0.5, 0.45], Run with { Ks = "0.5,1" });
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => WorstCaseShardMerge.MergeAsync(folder, 2, CancellationToken.None));
        Assert.Contains("shard-1.json: belongs to another run than shard 0", ex.Message, StringComparison.Ordinal);
    }

    private static async Task WriteShardAsync(string folder, int shard, double[] accuracies, WorstCaseRunIdentity? run = null)
    {
        double[] ks = [0.5, 1, 2];
        var own = ShardFiles.FolderPath(folder, shard.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(own);
        var points = new List<WorstCasePointFile>();
        for (var i = 0; i < ks.Length; i++)
        {
            var name = $"worst-case-k{ks[i]:0.###}.safetensors";
            await File.WriteAllTextAsync(Path.Combine(own, name), $"s{shard}-k{ks[i]:0.###}");
            points.Add(new WorstCasePointFile(ks[i], accuracies[i], false, Path.Combine($"shard-{shard}", name), shard));
        }

        await new WorstCaseResultFile { Run = run ?? Run, Points = points }.WriteAsync(ShardFiles.ResultPath(folder, shard), CancellationToken.None);
    }
}

using System.Globalization;
using System.Text.Json;

namespace CimHil.Cli.Tests.Slurm;

/// <summary>
/// <c>worst-case --slurm</c> on a real single-node cluster: three sweeps over k = 0.5, 1, 2 with restarts of their own,
/// merged per bound into a curve that equals or beats the single process, whose saved Δ files re-verify exactly.
/// </summary>
[Collection(SlurmClusterCollection.Name)]
public sealed class WorstCaseOnSlurmTests(SlurmClusterFixture cluster)
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    // A box small enough that the search does not reach 0 % at once, so that shards can differ; few steps keep it short.
    private static readonly string[] Common = ["--model", Model, "--device-model", "gaussian:0.01", "--images", "100"];
    private static readonly string[] Sweep = ["worst-case", .. Common, "--k", "0.5,1,2", "--steps", "4", "--restarts", "1", "--mc-chips", "0", "-q"];

    [Fact]
    public async Task Three_shards_equal_or_beat_the_single_process_and_their_deltas_reverify()
    {
        var folder = CliProcess.EmptyFolder();
        var single = Path.Combine(folder, "single", "worst-case.json");
        var (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, [.. Sweep, "--out", Path.Combine(folder, "single"), "--result", single]);
        Assert.True(code == 0, output + err);

        var run = Path.Combine(folder, "run");
        (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, [.. Sweep, "--slurm", "--shards", "3", "--run-dir", run, "--wait"]);
        Assert.True(code == 0, output + err);

        using var one = JsonDocument.Parse(await File.ReadAllTextAsync(single));
        using var merged = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "worst-case.json")));
        using var shard0 = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "shards", "shard-0.json")));
        var singlePoints = one.RootElement.GetProperty("points").EnumerateArray().ToArray();
        var mergedPoints = merged.RootElement.GetProperty("points").EnumerateArray().ToArray();
        var shard0Points = shard0.RootElement.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(3, mergedPoints.Length);
        var previous = 1.0;
        for (var i = 0; i < 3; i++)
        {
            var accuracy = mergedPoints[i].GetProperty("accuracy").GetDouble();
            // Shard 0 is the single-process search, to the bit; the merge can only be as harmful or more.
            Assert.Equal(singlePoints[i].GetProperty("accuracy").GetDouble(), shard0Points[i].GetProperty("accuracy").GetDouble());
            Assert.True(accuracy <= singlePoints[i].GetProperty("accuracy").GetDouble(), $"k={mergedPoints[i].GetProperty("k")}: merged {accuracy} above single {singlePoints[i].GetProperty("accuracy")}");
            Assert.True(accuracy <= previous, "the merged curve must not rise with k");
            previous = accuracy;

            var delta = Path.Combine(run, mergedPoints[i].GetProperty("perturbation").GetString()!);
            (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, ["worst-case", .. Common, "--verify", delta]);
            Assert.True(code == 0, output + err);
            Assert.Contains("reproduced exactly", output, StringComparison.Ordinal);
            Assert.Contains(accuracy.ToString("P2", CultureInfo.CurrentCulture), output, StringComparison.Ordinal);
        }

        Assert.Equal(one.RootElement.GetProperty("run").GetRawText(), merged.RootElement.GetProperty("run").GetRawText());
    }

    [Fact]
    public async Task Verify_and_slurm_together_are_a_usage_error()
    {
        var (code, _, err) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), cluster.Environment, ["worst-case", .. Common, "--verify", "x.safetensors", "--slurm"]);
        Assert.Equal(2, code);
        Assert.Contains("--verify and --slurm", err, StringComparison.Ordinal);
    }
}

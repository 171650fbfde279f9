using System.Text.Json;

namespace CimHil.Cli.Tests.Slurm;

/// <summary>
/// <c>study --slurm</c> on a real single-node cluster: one shard per method, merged into the same table (every number,
/// in the same row order) as the study on one process. Separate output roots: no shard can load a model the local
/// study trained.
/// </summary>
[Collection(SlurmClusterCollection.Name)]
public sealed class StudyOnSlurmTests(SlurmClusterFixture cluster)
{
    [Fact]
    public async Task A_two_method_study_on_slurm_gives_the_local_studys_table()
    {
        var folder = CliProcess.EmptyFolder();
        var local = StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-local-").FullName);
        var (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, "study", "--json", "-q", "--config", local);
        Assert.True(code == 0, output + err);
        using var single = JsonDocument.Parse(output);

        var run = Path.Combine(folder, "run");
        var sharded = StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-slurm-").FullName);
        (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, "study", "-q", "--config", sharded, "--slurm", "--run-dir", run, "--wait");
        Assert.True(code == 0, output + err);
        Assert.Matches(@"submitted 2 shards as job array \d+", output);

        using var merged = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "study.json")));
        Assert.Equal(StudyCommandTests.Numbers(single.RootElement), StudyCommandTests.Numbers(merged.RootElement));
        Assert.Equal(["standard", "noise"], merged.RootElement.GetProperty("settings").GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        var table = await File.ReadAllTextAsync(Path.Combine(run, "study.md"));
        Assert.Contains("| standard", table, StringComparison.Ordinal);
        Assert.Contains("| noise", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_two_method_two_seed_study_on_slurm_gives_the_local_studys_table()
    {
        // One shard per (method, seed): 4 array tasks; the merge recomputes the across-seed table from their rows.
        string[] small = ["--seeds", "1,2", "--train-samples", "200", "--images", "60", "--worst-case-images", "20", "--ks", "1,2"];
        var folder = CliProcess.EmptyFolder();
        var local = StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-local-").FullName);
        var (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, ["study", "--json", "-q", "--config", local, .. small]);
        Assert.True(code == 0, output + err);
        using var single = JsonDocument.Parse(output);
        var localFolder = single.RootElement.GetProperty("folder").GetString()!;

        var run = Path.Combine(folder, "run");
        var sharded = StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-slurm-").FullName);
        (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, ["study", "-q", "--config", sharded, "--slurm", "--run-dir", run, "--wait", .. small]);
        Assert.True(code == 0, output + err);
        Assert.Matches(@"submitted 4 shards as job array \d+", output);

        using var merged = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "study.json")));
        Assert.Equal(StudyCommandTests.Numbers(single.RootElement), StudyCommandTests.Numbers(merged.RootElement));
        Assert.Equal(single.RootElement.GetProperty("aggregate").GetRawText(), merged.RootElement.GetProperty("aggregate").GetRawText());
        Assert.Equal([1, 2], merged.RootElement.GetProperty("settings").GetProperty("seeds").GetProperty("train").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal(
            StudyCommandTests.TableLines(await File.ReadAllTextAsync(Path.Combine(localFolder, "study.md"))),
            StudyCommandTests.TableLines(await File.ReadAllTextAsync(Path.Combine(run, "study.md"))));
        Assert.True(File.Exists(Path.Combine(run, "study.html")));
    }

    [Fact]
    public async Task Shards_that_do_not_match_the_methods_are_a_usage_error()
    {
        var config = StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-").FullName);
        var (code, _, err) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), cluster.Environment, "study", "--config", config, "--slurm", "--shards", "3");
        Assert.Equal(2, code);
        Assert.Contains("splits into exactly 2 shards", err, StringComparison.Ordinal);
        (code, _, err) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), cluster.Environment, "study", "--config", config, "--shard", "0/3", "--result", "x.json");
        Assert.Equal(2, code);
        Assert.Contains("one shard per method and seed, and there are 2 × 1 = 2", err, StringComparison.Ordinal);
    }
}

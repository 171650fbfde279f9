using System.Text.Json;

namespace CimHil.Cli.Tests.Slurm;

/// <summary>
/// <c>evaluate --slurm</c> on a real single-node Slurm cluster: shards as a job array, a dependent merge, and a result
/// file byte-identical to the single process's; a cancelled shard named, and resumed alone.
/// </summary>
[Collection(SlurmClusterCollection.Name)]
public sealed class EvaluateOnSlurmTests(SlurmClusterFixture cluster)
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    // 64 chips as the issue's acceptance asks; 100 images keep a shard to a few seconds.
    private static readonly string[] Evaluate = ["evaluate", "--model", Model, "--device-model", "gaussian:0.1", "--chips", "64", "--images", "100", "--seed", "7", "-q"];

    [Fact]
    public async Task Four_shards_merge_into_the_single_process_result_file_byte_for_byte()
    {
        var folder = CliProcess.EmptyFolder();
        var single = Path.Combine(folder, "single.json");
        var (code, _, err) = await CliProcess.RunAsync(folder, cluster.Environment, [.. Evaluate, "--out", single]);
        Assert.True(code == 0, err);

        var run = Path.Combine(folder, "run");
        (code, var output, err) = await CliProcess.RunAsync(folder, cluster.Environment, [.. Evaluate, "--slurm", "--shards", "4", "--run-dir", run, "--wait"]);
        Assert.True(code == 0, output + err);
        Assert.Matches(@"submitted 4 shards as job array \d+ and the merge as job \d+", output);
        Assert.Equal(await File.ReadAllBytesAsync(single), await File.ReadAllBytesAsync(Path.Combine(run, "monte-carlo.json")));

        // Each shard evaluated its own 16 chips, and the script shows a plain cimhil invocation per task.
        for (var i = 0; i < 4; i++)
        {
            using var shard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "shards", $"shard-{i}.json")));
            Assert.Equal(16 * i, shard.RootElement.GetProperty("firstChip").GetInt32());
            Assert.Equal(16, shard.RootElement.GetProperty("chipAccuracies").GetArrayLength());
        }

        var script = await File.ReadAllTextAsync(Path.Combine(run, "shards.sbatch"));
        Assert.Contains("'--shard' \"$shard\"'/4'", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--slurm", script, StringComparison.Ordinal);

        (code, output, _) = await CliProcess.RunAsync(folder, cluster.Environment, "slurm", "status", run);
        Assert.Equal(0, code);
        Assert.Contains("shards: 4 done; merge: done", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_shard_is_named_and_resume_runs_only_it_to_the_same_result()
    {
        var folder = CliProcess.EmptyFolder();
        // One shard at a time (2 CPUs per task on the 2-CPU node), so shard 2 is still pending when it is cancelled.
        await File.WriteAllTextAsync(Path.Combine(folder, "hil-config.json"), await ConfigWithSlurmAsync("""{ "cpusPerTask": 2 }"""));
        var single = Path.Combine(folder, "single.json");
        var (code, _, err) = await CliProcess.RunAsync(folder, cluster.Environment, [.. Evaluate, "--out", single]);
        Assert.True(code == 0, err);

        var run = Path.Combine(folder, "run");
        (code, var output, err) = await CliProcess.RunAsync(folder, cluster.Environment, [.. Evaluate, "--slurm", "--shards", "4", "--run-dir", run]);
        Assert.True(code == 0, output + err);
        var array = System.Text.RegularExpressions.Regex.Match(output, @"job array (\d+)").Groups[1].Value;
        await cluster.ToolAsync("scancel", $"{array}_2");

        (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, "slurm", "wait", run);
        Assert.Equal(7, code);
        Assert.Contains("shard 2 of 4 ended without a result", err, StringComparison.Ordinal);
        Assert.Contains($"cimhil slurm resume {run}", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run, "monte-carlo.json")));

        (code, output, err) = await CliProcess.RunAsync(folder, cluster.Environment, "slurm", "resume", run, "--wait");
        Assert.True(code == 0, output + err);
        Assert.Matches(@"resubmitted shard 2 as job array \d+", output);
        Assert.Equal(await File.ReadAllBytesAsync(single), await File.ReadAllBytesAsync(Path.Combine(run, "monte-carlo.json")));

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(run, "slurm.json")));
        var submissions = manifest.RootElement.GetProperty("submissions");
        Assert.Equal(2, submissions.GetArrayLength());
        Assert.Equal([2], submissions[1].GetProperty("shards").EnumerateArray().Select(e => e.GetInt32()));

        // A complete run has nothing to resume.
        (code, _, err) = await CliProcess.RunAsync(folder, cluster.Environment, "slurm", "resume", run);
        Assert.Equal(7, code);
        Assert.Contains("is complete", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_the_cluster_refuses_is_reported_with_sbatchs_reason_and_exit_7()
    {
        var folder = CliProcess.EmptyFolder();
        await File.WriteAllTextAsync(Path.Combine(folder, "hil-config.json"), await ConfigWithSlurmAsync("""{ "partition": "no-such-partition" }"""));
        var (code, _, err) = await CliProcess.RunAsync(folder, cluster.Environment, [.. Evaluate, "--slurm", "--run-dir", Path.Combine(folder, "run")]);
        Assert.Equal(7, code);
        Assert.Contains("the cluster refused the job shards.sbatch", err, StringComparison.Ordinal);
        Assert.Contains("partition", err, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Without_sbatch_on_the_path_the_error_says_what_to_install()
    {
        var folder = CliProcess.EmptyFolder();
        var env = new Dictionary<string, string?>(cluster.Environment) { ["PATH"] = Path.GetDirectoryName(Environment.ProcessPath) ?? "/nonexistent" };
        var (code, _, err) = await CliProcess.RunAsync(folder, env, [.. Evaluate, "--slurm", "--run-dir", Path.Combine(folder, "run")]);
        Assert.Equal(7, code);
        Assert.Contains("sinfo was not found on PATH", err, StringComparison.Ordinal);
        Assert.Contains("slurm-client", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slurm_options_without_slurm_and_shard_without_out_are_usage_errors()
    {
        var folder = CliProcess.EmptyFolder();
        var (code, _, err) = await CliProcess.RunAsync(folder, [.. Evaluate, "--shards", "4"]);
        Assert.Equal(2, code);
        Assert.Contains("belong to --slurm", err, StringComparison.Ordinal);
        (code, _, err) = await CliProcess.RunAsync(folder, [.. Evaluate, "--shard", "1/4"]);
        Assert.Equal(2, code);
        Assert.Contains("--shard needs --out", err, StringComparison.Ordinal);
        (code, _, err) = await CliProcess.RunAsync(folder, [.. Evaluate, "--shard", "4/4", "--out", "x.json"]);
        Assert.Equal(2, code);
        Assert.Contains("--shard '4/4'", err, StringComparison.Ordinal);
    }

    private static Task<string> ConfigWithSlurmAsync(string slurm) =>
        File.ReadAllTextAsync(CliHarness.ConfigVariant(text => "{ \"slurm\": " + slurm + ", " + text.TrimStart()[1..]));
}

using System.Diagnostics;
using CimHil.Workflows.Slurm;

namespace CimHil.Workflows.Tests.Slurm;

public sealed class SbatchScriptTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("it's quoted")]
    [InlineData("$HOME and `date` and \"double\"")]
    [InlineData("")]
    public async Task A_quoted_argument_reaches_the_program_unchanged_through_bash(string argument)
    {
        var words = await EchoThroughBashAsync(SbatchScript.Quote(argument, shard: false), shard: "5");
        Assert.Equal([argument], words);
    }

    [Fact]
    public async Task The_shard_placeholder_becomes_the_array_task_id_and_nothing_else_expands()
    {
        var words = await EchoThroughBashAsync(SbatchScript.Quote("/runs/x y/shard-{shard}.json", shard: true) + " " + SbatchScript.Quote("{shard}/4", shard: true), shard: "12");
        Assert.Equal(["/runs/x y/shard-12.json", "12/4"], words);
    }

    [Fact]
    public void The_array_script_carries_the_settings_as_sbatch_lines()
    {
        var settings = new SlurmSettings { Partition = "gpu", Account = "lab", TimeLimit = "01:30:00", CpusPerTask = 4, GpusPerTask = 1, SbatchOptions = ["--qos=short"] };
        var script = SbatchScript.ArrayScript(settings, "cimhil-evaluate", "/shared/run", "/shared", ["cimhil", "evaluate"]);
        string[] expected =
        [
            "#!/bin/bash", "#SBATCH --job-name=cimhil-evaluate", "#SBATCH --output=/shared/run/logs/shard-%a.out", "#SBATCH --chdir=/shared", "#SBATCH --ntasks=1",
            "#SBATCH --partition=gpu", "#SBATCH --account=lab", "#SBATCH --time=01:30:00", "#SBATCH --cpus-per-task=4", "#SBATCH --gpus-per-task=1", "#SBATCH --qos=short",
            "set -euo pipefail", "shard=\"$SLURM_ARRAY_TASK_ID\"", "exec 'cimhil' 'evaluate'",
        ];
        Assert.Equal(expected, script.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("# ", StringComparison.Ordinal)));
        Assert.DoesNotContain("cpus-per-task", SbatchScript.MergeScript(settings, "m", "/shared/run", "/shared", ["cimhil", "slurm", "merge", "/shared/run"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30", true)]
    [InlineData("01:30:00", true)]
    [InlineData("2-12", true)]
    [InlineData("2-12:00:00", true)]
    [InlineData("1h", false)]
    [InlineData("01:30:00 --wrap=x", false)]
    public void Time_limits_follow_sbatchs_formats(string text, bool valid) => Assert.Equal(valid, SbatchScript.IsTimeLimit(text));

    private static async Task<string[]> EchoThroughBashAsync(string words, string shard)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"shard={shard}; printf '%s\\0' {words}");
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\0')[..^1];
    }
}

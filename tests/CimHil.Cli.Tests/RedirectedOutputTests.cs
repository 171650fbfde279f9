namespace CimHil.Cli.Tests;

/// <summary>
/// A stdout that is a file or a pipe gets plain lines: no escape sequences even where TERM names a colour terminal (Spectre
/// detects by TERM alone), and the stages' progress as start, tenth and finish lines instead of bars redrawn in place.
/// </summary>
public class RedirectedOutputTests
{
    [Fact]
    public async Task Run_WithStdoutRedirected_WritesPlainStageLines_AndNoEscapeByte()
    {
        var (config, _) = RunPipelineTests.SmallRun();

        var (code, output, error) = await CliProcess.RunAsync(
            AppContext.BaseDirectory, new Dictionary<string, string?> { ["TERM"] = "xterm-256color" }, "run", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        Assert.DoesNotContain("\u001b", output, StringComparison.Ordinal);
        var lines = output.Split('\n');
        foreach (var stage in CimHil.Workflows.RunPipeline.StageNames)
        {
            Assert.Contains($"{stage}: started", lines.Select(l => l.Split(" (")[0]));
            Assert.Contains(lines, l => l.StartsWith($"{stage}: done in ", StringComparison.Ordinal));
        }

        Assert.Contains(lines, l => l.StartsWith("Report: ", StringComparison.Ordinal));
    }
}

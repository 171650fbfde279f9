using System.Diagnostics;

namespace CimHil.Cli.Tests;

/// <summary>
/// evaluate and worst-case draw moving bars on a terminal (issue #19, item 3), and --quiet draws none. The program runs
/// as its own process on a real pseudo-terminal (util-linux <c>script</c>), where the bars would otherwise appear.
/// </summary>
public class TerminalProgressBarsTests
{
    private static string Network => Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    /// <summary>Runs cimhil on a pseudo-terminal and returns everything it wrote there.</summary>
    private static async Task<(int Code, string Terminal)> OnTerminalAsync(params string[] args)
    {
        var line = string.Join(' ', new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "cimhil.dll") }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-q", "-e", "-c", line, "/dev/null" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLUMNS"] = "160";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public static TheoryData<string[], string> Commands => new()
    {
        { ["evaluate", "--model", Network, "--device-model", "gaussian:0.1", "--chips", "4", "--images", "200"], "chip 4/4" },
        { ["worst-case", "--model", Network, "--device-model", "gaussian:0.05", "--k", "0,1", "--steps", "3", "--restarts", "0", "--images", "100", "--mc-chips", "2", "--out", Directory.CreateTempSubdirectory("cimhil-wc-").FullName], "k=1 (2/2) done" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task OnATerminal_BarsShowTheStageDetail_AndQuietShowsNone(string[] command, string barText)
    {
        var data = Path.GetFullPath(CimHil.Simulation.Data.FashionMnist.ResolveDirectory(null));
        string[] common = ["--config", CliHarness.ShippedConfig, "--data", data];

        var (code, terminal) = await OnTerminalAsync([.. command, .. common]);
        Assert.True(code == ExitCodes.Success, terminal);
        Assert.Contains(barText, terminal, StringComparison.Ordinal);
        Assert.Contains("100%", terminal, StringComparison.Ordinal);

        (code, terminal) = await OnTerminalAsync([.. command, .. common, "--quiet"]);
        Assert.True(code == ExitCodes.Success, terminal);
        Assert.DoesNotContain(barText, terminal, StringComparison.Ordinal);
        Assert.DoesNotContain("━", terminal, StringComparison.Ordinal);
    }
}

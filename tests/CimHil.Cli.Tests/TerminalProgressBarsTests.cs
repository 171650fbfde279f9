using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CimHil.Tests.Shared;
using CimHil.Workflows;

namespace CimHil.Cli.Tests;

/// <summary>
/// evaluate, worst-case and run draw moving bars with an ETA on a terminal (issue #19, item 3), and --quiet draws none.
/// The program runs as its own process on a real pseudo-terminal (util-linux <c>script</c>), where the bars would
/// otherwise appear.
/// </summary>
public partial class TerminalProgressBarsTests
{
    /// <summary>Escape sequences (colours, cursor moves, line erases, window titles): what remains is the text drawn.</summary>
    [GeneratedRegex(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1B]*(\x07|\x1B\\)|[()][0-9A-Za-z]|[=>78])")]
    private static partial Regex Escapes();

    /// <summary>
    /// One bar's row as the CLI's columns draw it (StageProgressBars): description, bar, percentage, elapsed time, then
    /// the remaining time; Spectre writes both times as hh:mm:ss, and --:--:-- while a time is not yet known.
    /// </summary>
    [GeneratedRegex(@"^\s*(?<stage>[a-z-]+)(?<detail>:[^━╸╺]*)?\s+[━╸╺]+\s+(?<percent>\d{1,3})%\s+(?<elapsed>\d\d:\d\d:\d\d|--:--:--)\s+(?<eta>\d\d:\d\d:\d\d|--:--:--)\s*$")]
    private static partial Regex BarRow();

    private static string Network => Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    /// <summary>Runs cimhil on a pseudo-terminal and returns everything it wrote there.</summary>
    private static Task<(int Code, string Terminal)> OnTerminalAsync(params string[] args) => OnTerminalAsync(CliProcess.DefaultTimeout, args);

    /// <summary>
    /// As above; past <paramref name="timeout"/> the terminal and cimhil under it are killed and the test fails with what
    /// it had drawn (<see cref="ChildProcess.RunAsync"/>).
    /// </summary>
    private static async Task<(int Code, string Terminal)> OnTerminalAsync(TimeSpan timeout, params string[] args)
    {
        var line = string.Join(' ', new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "cimhil.dll") }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-q", "-e", "-c", line, "/dev/null" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLUMNS"] = "160";
        var (code, output, error) = await ChildProcess.RunAsync(start, timeout, $"cimhil {string.Join(' ', args)} on a terminal");
        return (code, output + error);
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

    [Fact]
    public async Task Run_OnATerminal_MovesEachStageBar_WithAnEtaColumn()
    {
        var (config, root) = await FinishedRun.TinyConfigAsync();

        var (code, terminal) = await OnTerminalAsync("run", "--config", config);

        Assert.True(code == ExitCodes.Success, terminal);
        Assert.Single(Directory.GetDirectories(root));
        var rows = Escapes().Replace(terminal, string.Empty).Split('\n', '\r').Select(l => BarRow().Match(l)).Where(m => m.Success).ToList();
        Assert.True(rows.Count > 0, $"no progress bar rows on the terminal:\n{terminal}");
        int Percent(Match m) => int.Parse(m.Groups["percent"].Value, CultureInfo.InvariantCulture);

        // Every stage of the run has its bar, drawn full by the end; characterisation (cell by cell) is seen part-way at
        // least twice, so the bar moved rather than jumping from 0% to 100%.
        Assert.Equal(RunPipeline.StageNames.Order(), rows.Select(m => m.Groups["stage"].Value).Distinct().Order());
        foreach (var stage in RunPipeline.StageNames)
        {
            Assert.Contains(rows, m => m.Groups["stage"].Value == stage && Percent(m) == 100);
        }

        var partWay = rows.Where(m => m.Groups["stage"].Value == "characterise" && Percent(m) is > 0 and < 100).Select(Percent).Distinct().ToList();
        Assert.True(partWay.Count >= 2, $"characterise seen part-way at {string.Join(", ", partWay)}%");

        // The ETA column: a time left (hh:mm:ss) on a bar that is moving, after its elapsed time.
        Assert.Contains(rows, m => Percent(m) is > 0 and < 100 && m.Groups["eta"].Value != "--:--:--");
        Assert.All(rows.Where(m => Percent(m) == 100), m => Assert.Equal("00:00:00", m.Groups["eta"].Value));
    }

    [Fact]
    public async Task OnATerminal_ACommandPastItsTimeout_IsKilledWithTheTerminal_AndTheTestFailsWithItsOutput()
    {
        // `serve` runs until it is stopped: past any timeout.
        var failure = await Assert.ThrowsAsync<Xunit.Sdk.FailException>(() =>
            OnTerminalAsync(TimeSpan.FromSeconds(40), "serve", "--port", "0", "--config", CliHarness.ShippedConfig));

        Assert.Contains("cimhil serve --port 0", failure.Message, StringComparison.Ordinal);
        Assert.Contains("on a terminal ran past 40 s and was killed", failure.Message, StringComparison.Ordinal);
        var url = Regex.Match(failure.Message, @"cimhil serve: (http://\S+)");
        Assert.True(url.Success, failure.Message);

        // Killed, not left behind: nothing answers on its port.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(new Uri(url.Groups[1].Value), "api/server")));
    }
}

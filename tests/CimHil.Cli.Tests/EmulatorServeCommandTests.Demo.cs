using System.Text.RegularExpressions;
using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests;

/// <summary><c>demo</c> on every emulated bench, configured with the chip section <c>emulator serve</c> prints, pasted as it is.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task Demo_OnTheInProcessEmulator_SwitchesEveryDemoCell()
    {
        var (code, output, error) = await CliHarness.RunAsync("demo", "--cycles", "2", "--json", "--config", CliHarness.ConfigVariant(s => s));

        Assert.True(code == ExitCodes.Success, error);
        AssertSwitched(output, cells: 4, cycles: 2);
    }

    [Theory]
    [InlineData("board")]
    [InlineData("smu-matrix")]
    [InlineData("b1500")]
    [InlineData("keithley-4200a")]
    public async Task Demo_OnAServedBench_WithThePrintedChipSection_SwitchesEveryDemoCell(string bench)
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var serving = CliApp.RunAsync(["emulator", "serve", "--bench", bench, "--port", "0", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);
        var chipLine = (await WaitForLineAsync(serverOut, output, "\"chip\":", serving)).Trim();
        if (bench == "b1500")
        {
            // The one thing the printed section cannot know: where this machine's WGFMU library is.
            chipLine = chipLine.Replace("\"settings\": { ", $"\"settings\": {{ \"wgfmuLibrary\": \"{WgfmuStandIn.LibraryPath}\", ", StringComparison.Ordinal);
        }

        var config = CliHarness.ConfigVariant(text => ShippedChipSection().Replace(text, chipLine + ",", 1));
        Assert.Contains(chipLine, File.ReadAllText(config), StringComparison.Ordinal);

        var (code, demo, error) = await CliHarness.RunAsync("demo", "--cycles", "2", "--json", "--config", config);

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
        Assert.True(code == ExitCodes.Success, error);
        AssertSwitched(demo, cells: 4, cycles: 2);
    }

    /// <summary>Every cycle of every demo cell read higher after SET than after RESET: the pulses the demo chose did something.</summary>
    private static void AssertSwitched(string json, int cells, int cycles)
    {
        var trace = CliHarness.Json(json).GetProperty("cycles").EnumerateArray().ToList();
        Assert.Equal(cells * cycles, trace.Count);
        Assert.All(trace, c => Assert.True(c.GetProperty("setS").GetDouble() > 2 * c.GetProperty("resetS").GetDouble(), c.ToString()));
    }

    [GeneratedRegex("\"chip\": \\{.*?\\n  \\},", RegexOptions.Singleline)]
    private static partial Regex ShippedChipSection();
}

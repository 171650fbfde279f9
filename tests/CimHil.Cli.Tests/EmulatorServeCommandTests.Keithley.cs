using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil emulator serve --bench keithley-2600b</c>: the emulated 2636B (TSP) + 707B read through by the CLI's keithley-2600b driver.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task ServeKeithley2600B_PrintsAChipSection_ThatTheKeithley2600BDriverReadsThrough()
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--bench", "keithley-2600b", "--port", "0", "--rows", "4", "--columns", "5", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);

        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        Assert.Matches("\"smu\": \"TCPIP0::127\\.0\\.0\\.1::\\d+::SOCKET\"", chipLine);
        Assert.Contains("\"rows\": 4, \"columns\": 5", chipLine, StringComparison.Ordinal);
        Assert.Contains("2636B SourceMeter (TSP)", output.ToString(), StringComparison.Ordinal);
        var config = CliHarness.ConfigVariant(text => text
            .Replace("\"driver\": \"emulator\",\n    \"settings\": {},", Keithley2600BDriverAndSettings().Match(chipLine).Value + ",", StringComparison.Ordinal)
            .Replace("\"minPulseWidthSeconds\": 1e-08", "\"minPulseWidthSeconds\": 0.0001", StringComparison.Ordinal));
        Assert.Contains("keithley-2600b", File.ReadAllText(config), StringComparison.Ordinal);

        var (code, read, error) = await CliHarness.RunAsync("read", "--row", "3", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var conductances = CliHarness.Json(read).GetProperty("conductancesS");
        Assert.Equal(5, conductances.GetArrayLength());
        // Pristine cells read near 0 S, where the shipped emulator's read noise may give either sign: finite is what holds.
        Assert.All(conductances.EnumerateArray(), g => Assert.True(double.IsFinite(g.GetDouble()), $"conductance {g} should be a number"));
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
        // The driver disposed cleanly: the emulated 2636B's outputs are off at 0 V and the matrix open.
        Assert.Contains("0 short circuits; bench safe (outputs off at 0 V, matrix open)", output.ToString(), StringComparison.Ordinal);
    }

    [GeneratedRegex("\"driver\": \"keithley-2600b\", \"settings\": \\{[^}]*\\}")]
    private static partial Regex Keithley2600BDriverAndSettings();
}

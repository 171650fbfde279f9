using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil emulator serve --bench keithley-4200a</c>: the emulated 4200A-SCS (KXCI) + 707B read through by the CLI's keithley-4200a driver.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task ServeKeithley4200A_PrintsAChipSection_ThatTheKeithley4200ADriverReadsThrough()
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--bench", "keithley-4200a", "--port", "0", "--rows", "4", "--columns", "5", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);

        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        Assert.Matches("\"analyzer\": \"TCPIP0::127\\.0\\.0\\.1::\\d+::SOCKET\", \"pmuChannel\": 1", chipLine);
        Assert.Contains("\"rows\": 4, \"columns\": 5", chipLine, StringComparison.Ordinal);
        Assert.Contains("4200A-SCS (KXCI", output.ToString(), StringComparison.Ordinal);
        var config = CliHarness.ConfigVariant(text => text
            .Replace("\"driver\": \"emulator\",\n    \"settings\": {},", Keithley4200ADriverAndSettings().Match(chipLine).Value + ",", StringComparison.Ordinal)
            .Replace("\"minPulseWidthSeconds\": 1e-08", "\"minPulseWidthSeconds\": 1e-06", StringComparison.Ordinal));
        Assert.Contains("keithley-4200a", File.ReadAllText(config), StringComparison.Ordinal);

        var (code, read, error) = await CliHarness.RunAsync("read", "--row", "2", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var conductances = CliHarness.Json(read).GetProperty("conductancesS");
        Assert.Equal(5, conductances.GetArrayLength());
        Assert.All(conductances.EnumerateArray(), g => Assert.True(double.IsFinite(g.GetDouble()), $"conductance {g} should be a number"));
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
        Assert.Contains("0 short circuits; bench safe (SMUs off at 0 V, PMU outputs off, matrix open)", output.ToString(), StringComparison.Ordinal);
    }

    [GeneratedRegex("\"driver\": \"keithley-4200a\", \"settings\": \\{[^}]*\\}")]
    private static partial Regex Keithley4200ADriverAndSettings();
}

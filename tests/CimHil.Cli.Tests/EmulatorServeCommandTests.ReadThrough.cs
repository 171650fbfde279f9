using System.Globalization;
using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests;

/// <summary>The steps every served instrument bench shares: serve it, read a row through the driver its chip section names, stop.</summary>
public partial class EmulatorServeCommandTests
{
    /// <summary>
    /// Serves <paramref name="bench"/> (4×5), puts the chip section it prints into a config (with the bench's shortest pulse
    /// as the minimum width), reads row <paramref name="row"/> through that driver (5 finite conductances) and stops the
    /// server. Returns the chip line and everything the server printed, its closing summary included.
    /// </summary>
    private static async Task<(string ChipLine, string ServerOutput)> ServeAndReadThroughAsync(string bench, int row, string minPulseWidthSeconds)
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--bench", bench, "--port", "0", "--rows", "4", "--columns", "5", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);

        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        Assert.Contains("\"rows\": 4, \"columns\": 5", chipLine, StringComparison.Ordinal);
        var driverAndSettings = Regex.Match(chipLine, $"\"driver\": \"{Regex.Escape(bench)}\", \"settings\": \\{{[^}}]*\\}}").Value;
        var config = CliHarness.ConfigVariant(text => text
            .Replace("\"driver\": \"emulator\",\n    \"settings\": {},", driverAndSettings + ",", StringComparison.Ordinal)
            .Replace("\"minPulseWidthSeconds\": 1e-08", $"\"minPulseWidthSeconds\": {minPulseWidthSeconds}", StringComparison.Ordinal));
        Assert.Contains(bench, File.ReadAllText(config), StringComparison.Ordinal);

        var (code, read, error) = await CliHarness.RunAsync("read", "--row", row.ToString(CultureInfo.InvariantCulture), "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var conductances = CliHarness.Json(read).GetProperty("conductancesS");
        Assert.Equal(5, conductances.GetArrayLength());
        // Pristine cells read near 0 S, where the shipped emulator's read noise may give either sign: finite is what holds.
        Assert.All(conductances.EnumerateArray(), g => Assert.True(double.IsFinite(g.GetDouble()), $"conductance {g} should be a number"));
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
        return (chipLine, output.ToString());
    }
}

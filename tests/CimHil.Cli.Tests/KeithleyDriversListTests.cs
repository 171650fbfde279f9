namespace CimHil.Cli.Tests;

/// <summary><c>cimhil instruments list</c> shows the Keithley TSP/KXCI drivers, found by the assembly scan, with their settings.</summary>
public sealed class KeithleyDriversListTests
{
    [Fact]
    public async Task InstrumentsList_Json_ShowsKeithley2600B_WithItsSettingsAndMaxima()
    {
        var (code, output, error) = await CliHarness.RunAsync("instruments", "list", "--json");

        Assert.True(code == ExitCodes.Success, error);
        var driver = CliHarness.Json(output).EnumerateArray().Single(d => d.GetProperty("id").GetString() == "keithley-2600b");
        var settings = driver.GetProperty("settings").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["smu", "matrix", "rows", "columns", "technology", "wordLineSlot", "bitLineSlot", "hiRow", "loRow", "biasRow", "readComplianceA", "gateV", "gateComplianceA"], settings);
        Assert.Contains("TSP", driver.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstrumentsList_Json_ShowsKeithley4200A_WithItsSettings()
    {
        var (code, output, error) = await CliHarness.RunAsync("instruments", "list", "--json");

        Assert.True(code == ExitCodes.Success, error);
        var driver = CliHarness.Json(output).EnumerateArray().Single(d => d.GetProperty("id").GetString() == "keithley-4200a");
        var settings = driver.GetProperty("settings").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["analyzer", "smuChannel", "pmuChannel", "readMode", "readPulseWidthSeconds", "matrix", "rows", "columns", "technology", "wordLineSlot", "bitLineSlot", "hiRow", "loRow", "biasRow", "readComplianceA"], settings);
        Assert.Contains("KXCI", driver.GetProperty("description").GetString(), StringComparison.Ordinal);
    }
}

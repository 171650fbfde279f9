namespace CimHil.Cli.Tests;

public class CommandTests
{
    private static readonly string Config = CliHarness.ConfigVariant(s => s);

    [Fact]
    public async Task Info_Json_ReportsTheEmulatorIdentityAndGeometry()
    {
        var (code, output, error) = await CliHarness.RunAsync("info", "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        Assert.Equal("emulator", json.GetProperty("driver").GetString());
        Assert.Equal(64, json.GetProperty("rows").GetInt32());
        Assert.Equal(64, json.GetProperty("columns").GetInt32());
        Assert.Equal("rram", json.GetProperty("identity").GetProperty("technology").GetString());
        Assert.Equal(3.0, json.GetProperty("limits").GetProperty("maxSetVoltageV").GetDouble());
    }

    [Fact]
    public async Task Read_Row_ReturnsOneConductancePerColumn()
    {
        var (code, output, error) = await CliHarness.RunAsync("read", "--row", "3", "--voltage", "0.2", "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        var g = CliHarness.Json(output).GetProperty("conductancesS").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(64, g.Count);
        // Unformed cells read near 0 S, so read noise can take a single read slightly below zero.
        Assert.All(g, x => Assert.InRange(x, -1e-6, 1e-3));
        Assert.True(g.Average() > 0);
    }

    [Fact]
    public async Task Program_OverTheSafetyLimit_ExitsWith4AndSaysWhy()
    {
        var (code, _, error) = await CliHarness.RunAsync("program", "--cell", "0,0", "--polarity", "set", "--amplitude", "3.5", "--config", Config);

        Assert.Equal(ExitCodes.SafetyRefused, code);
        Assert.Contains("SET pulse refused: |amplitude| 3.5 V exceeds the maximum 3 V; nothing was applied", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_ReadVoltageOverTheLimit_IsRefused()
    {
        var (code, _, error) = await CliHarness.RunAsync("read", "--cell", "0,0", "--voltage", "0.9", "--config", Config);
        Assert.Equal(ExitCodes.SafetyRefused, code);
        Assert.Contains("read voltage", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_CellOutsideTheArray_ExitsWith6()
    {
        var (code, _, error) = await CliHarness.RunAsync("read", "--cell", "64,0", "--config", Config);
        Assert.Equal(ExitCodes.ChipError, code);
        Assert.Contains("outside the 64x64 array", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("read", "--cell", "1;2")]
    [InlineData("read", "--row", "1", "--column", "2")]
    [InlineData("program", "--cell", "1,1", "--polarity", "sideways", "--amplitude", "1")]
    [InlineData("nosuchcommand")]
    public async Task MalformedArguments_ExitWith2(params string[] args)
    {
        var (code, _, error) = await CliHarness.RunAsync([.. args, "--config", Config]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public async Task BadConfig_ExitsWith3AndNamesThePath()
    {
        var bad = CliHarness.ConfigVariant(s => s.Replace("\"maxSetVoltageV\": 3.0", "\"maxSetVoltageV\": 12", StringComparison.Ordinal));
        var (code, _, error) = await CliHarness.RunAsync("info", "--config", bad);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("chip.safety.maxSetVoltageV: 12 exceeds the driver maximum 10", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConfig_ExitsWith3()
    {
        var (code, _, error) = await CliHarness.RunAsync("info", "--config", "/nonexistent/hil-config.json");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("/nonexistent/hil-config.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_Json_ShowsSetAboveReset()
    {
        var (code, output, error) = await CliHarness.RunAsync("demo", "--json", "--cycles", "2", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        foreach (var cycle in CliHarness.Json(output).GetProperty("cycles").EnumerateArray())
        {
            Assert.True(cycle.GetProperty("setS").GetDouble() > 2 * cycle.GetProperty("resetS").GetDouble(), cycle.ToString());
        }
    }
}

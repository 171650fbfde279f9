namespace CimHil.Cli.Tests;

/// <summary>Every Monte-Carlo figure names the effects it includes, so two figures of one model that differ say why (issue #20, item 6).</summary>
public class EffectLabelTests
{
    private static readonly string Config = CliHarness.ConfigVariant(s => s);

    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    private static readonly string DeviceModel = Path.Combine(AppContext.BaseDirectory, "calibration", "emulator-rram.json");

    [Fact]
    public async Task Evaluate_Json_LabelsItsFigureWithEveryEffect()
    {
        var (code, output, error) = await CliHarness.RunAsync("evaluate", "--model", Model, "--device-model", DeviceModel, "--chips", "2", "--images", "20", "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal("device model 'emulator-rram': programming error, read noise, no drift, stuck cells", CliHarness.Json(output).GetProperty("variation").GetString());
    }

    [Fact]
    public async Task Evaluate_WithDrift_NamesTheTime()
    {
        var (code, output, error) = await CliHarness.RunAsync("evaluate", "--model", Model, "--device-model", DeviceModel, "--chips", "2", "--images", "20", "--time", "86400", "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal("device model 'emulator-rram': programming error, read noise, drift at t = 8.64E+04 s, stuck cells", CliHarness.Json(output).GetProperty("variation").GetString());
    }

    [Fact]
    public async Task WorstCase_MonteCarloReference_SaysItHasProgrammingErrorOnly_InJsonAndOnTheConsole()
    {
        const string Label = "device model 'emulator-rram': programming error, no read noise, no drift, no stuck cells";
        var (code, output, error) = await CliHarness.RunAsync("worst-case", "--model", Model, "--device-model", DeviceModel, "--k", "1", "--images", "10", "--steps", "1", "--mc-chips", "2", "--json", "--config", Config);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(Label, CliHarness.Json(output).GetProperty("monteCarlo").GetProperty("variation").GetString());

        var (textCode, text, textError) = await CliHarness.RunAsync("worst-case", "--model", Model, "--device-model", DeviceModel, "--k", "1", "--images", "10", "--steps", "1", "--mc-chips", "2", "--config", Config);
        Assert.True(textCode == ExitCodes.Success, textError);
        Assert.Contains($"  Monte-Carlo 2 chips ({Label}): mean ", text, StringComparison.Ordinal);
    }
}

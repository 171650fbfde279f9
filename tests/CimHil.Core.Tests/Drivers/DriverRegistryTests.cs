using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;

namespace CimHil.Core.Tests.Drivers;

[ChipDriver("recorder", Description = "records operations (test only)")]
public sealed class RecorderDriver : ChipDriver<RecorderDriver.Options>
{
    public override SafetyLimits Maxima { get; } = SafetyLimits.Default with { MaxSetVoltageV = 10 };

    public override IReadOnlyList<DriverSetting> Settings { get; } = [new("gain", "number", "a setting")];

    public override Options Parse(JsonSection settings)
    {
        settings.AllowOnly("gain");
        return new Options(settings.Double("gain", 1.0, 0.0, 5.0));
    }

    public override Task<IChip> ConnectAsync(Options settings, DriverContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IChip>(new RecordingChip());

    public sealed record Options(double Gain);
}

public class DriverRegistryTests
{
    private const string Config = """
        { "chip": { "driver": "recorder", "settings": { "gain": 2 },
          "safety": { "maxSetVoltageV": 3, "maxResetVoltageV": 3, "maxFormVoltageV": 4, "maxReadVoltageV": 0.3,
                      "maxGateVoltageV": 2, "maxComplianceA": 1e-4, "maxPulseWidthSeconds": 1e-3, "minPulseWidthSeconds": 1e-8 } } }
        """;

    private static DriverRegistry Registry() => DriverRegistry.Scan([typeof(RecorderDriver).Assembly]);

    [Fact]
    public void Scan_FindsAttributedDrivers()
    {
        var d = Assert.Single(Registry().All);
        Assert.Equal("recorder", d.Id);
        Assert.Equal("records operations (test only)", d.Description);
    }

    [Fact]
    public async Task Connect_WrapsTheChipInItsSafetyLimits()
    {
        await using var chip = await ChipConnector.ConnectAsync(HilConfigLoader.Parse(Config), Registry(), Serilog.Core.Logger.None, default);
        Assert.Equal(3, chip.Limits.MaxSetVoltageV);
        await Assert.ThrowsAsync<SafetyLimitException>(() =>
            chip.ApplyPulseAsync(new CellAddress(0, 0), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 3.5, WidthSeconds = 1e-7 }, default));
    }

    [Fact]
    public void UnknownDriver_ListsTheRegisteredOnes()
    {
        var ex = Assert.Throws<ConfigException>(() => ChipConnector.Prepare(HilConfigLoader.Parse(Config.Replace("\"recorder\"", "\"nosuch\"", StringComparison.Ordinal)), Registry()));
        Assert.Equal("chip.driver", ex.JsonPath);
        Assert.Contains("registered: recorder", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void LimitAboveTheDriverMaximum_IsRefusedWithPath()
    {
        var json = Config.Replace("\"maxSetVoltageV\": 3", "\"maxSetVoltageV\": 12", StringComparison.Ordinal);
        var ex = Assert.Throws<ConfigException>(() => ChipConnector.Prepare(HilConfigLoader.Parse(json), Registry()));
        Assert.Equal("chip.safety.maxSetVoltageV: 12 exceeds the driver maximum 10 V", ex.Message);
    }

    [Fact]
    public void BadDriverSetting_NamesItsPath()
    {
        var json = Config.Replace("\"gain\": 2", "\"gain\": 7", StringComparison.Ordinal);
        var ex = Assert.Throws<ConfigException>(() => ChipConnector.Prepare(HilConfigLoader.Parse(json), Registry()));
        Assert.Equal("chip.settings.gain", ex.JsonPath);
    }
}

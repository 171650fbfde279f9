using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Drivers.Emulator;
using Serilog;

namespace CimHil.Emulator.Tests;

public class EmulatorDriverTests
{
    private static string Config(string emulator) => $$"""
        {
          "chip": {
            "driver": "emulator",
            "safety": { "maxSetVoltageV": 3, "maxResetVoltageV": 3.5, "maxFormVoltageV": 5, "maxReadVoltageV": 0.5,
                        "maxGateVoltageV": 3, "maxComplianceA": 5e-4, "maxPulseWidthSeconds": 1e-3, "minPulseWidthSeconds": 1e-8 }
          },
          "emulator": {{emulator}}
        }
        """;

    [Fact]
    public async Task Driver_BuildsTheEmulatedChip_FromTheEmulatorSection()
    {
        var config = HilConfigLoader.Parse(Config("""{"technology":"pcm","seed":5,"rows":32,"columns":16}"""));
        var registry = DriverRegistry.Scan([typeof(EmulatorDriver).Assembly]);

        await using var chip = await ChipConnector.ConnectAsync(config, registry, new LoggerConfiguration().CreateLogger(), CancellationToken.None);

        Assert.Equal(new ArrayGeometry(32, 16), chip.Geometry);
        Assert.Equal(DeviceTechnology.Pcm, chip.Identity.Technology);
        Assert.True(chip.Supports(ChipCapabilities.VirtualClock | ChipCapabilities.VectorMatrixMultiply));
        var read = await chip.ReadCellAsync(new CellAddress(31, 15), 0.2, CancellationToken.None);
        Assert.Equal(VirtualClock.DefaultEpoch, read.Timestamp);
        await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ReadCellAsync(new CellAddress(0, 0), 0.6, CancellationToken.None));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.2)]
    public async Task Driver_ZeroOrNegativeReadVoltage_IsRefusedByTheSafetyLayer(double readVoltageV)
    {
        var config = HilConfigLoader.Parse(Config("""{"technology":"rram","seed":5,"rows":4,"columns":4}"""));
        await using var chip = await ChipConnector.ConnectAsync(config, DriverRegistry.Scan([typeof(EmulatorDriver).Assembly]), new LoggerConfiguration().CreateLogger(), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ReadCellAsync(new CellAddress(1, 1), readVoltageV, CancellationToken.None));

        Assert.Equal($"read refused: read voltage {readVoltageV.ToString(System.Globalization.CultureInfo.InvariantCulture)} V must be above 0 V; nothing was applied", ex.Message);
        Assert.Equal(SafetyRule.Above, ex.Rule);
        await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ReadBlockAsync(new CellBlock(0, 0, 4, 4), readVoltageV, CancellationToken.None));
    }

    [Fact]
    public async Task Driver_WithBadEmulatorSection_ReportsTheJsonPath()
    {
        var config = HilConfigLoader.Parse(Config("""{"technology":"rram","rram":{"readNoiseFloor":1e-9}}"""));
        var (driver, settings) = ChipConnector.Prepare(config, DriverRegistry.Scan([typeof(EmulatorDriver).Assembly]));
        var context = new DriverContext { Config = config, Logger = new LoggerConfiguration().CreateLogger() };

        var ex = await Assert.ThrowsAsync<ConfigException>(() => driver.ConnectAsync(settings, context, CancellationToken.None));

        Assert.Equal("emulator.rram.readNoiseFloor", ex.JsonPath);
    }

    [Fact]
    public void Driver_MaximaAreFinite_AndSettingsMayBeEmpty()
    {
        var driver = new EmulatorDriver();

        Assert.True(double.IsFinite(driver.Maxima.MaxSetVoltageV) && driver.Maxima.MaxComplianceA <= 10e-3 && driver.Maxima.MaxPulseWidthSeconds <= 1);
        Assert.IsType<EmulatorDriverSettings>(driver.Parse(JsonSection.Parse("{}", "test")));
        Assert.Throws<ConfigException>(() => driver.Parse(JsonSection.Parse("""{"port":1}""", "test")));
    }
}

using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Drivers.SmuMatrix;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Smu;

namespace CimHil.Drivers.Tests.SmuMatrix;

/// <summary>
/// The probe station's safe state (SMU off at 0 V, matrix open) after failures, inspected on the emulated instruments.
/// The chip runs behind <see cref="SafeChip"/>, as ChipConnector builds it: that decorator owns the safe state.
/// </summary>
public sealed class SmuMatrixSafetyTests
{
    [Fact]
    public async Task MatrixErrorMidPulse_LeavesSmuOffAtZeroAndMatrixOpen_AndNoPulse()
    {
        // Word lines cabled to slot 3, where the emulated 707B has no card: routing fails after the SMU was set to 1.5 V.
        await using var rig = await Benches.SmuMatrixAsync(", \"wordLineSlot\": 3");
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.5, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(-222, error.Code);
        Assert.Contains("3A02", error.Command, StringComparison.Ordinal);
        var bench = rig.Bench!;
        Assert.False(bench.Smu.OutputOn);
        Assert.Equal(0, bench.Smu.SourceLevelV);
        Assert.Empty(bench.Matrix.ClosedChannels);
        Assert.Equal(0, bench.PulsesApplied);
        Assert.Equal(0, rig.Backing.TotalPulses);

        // One failure, one safe state: the SMU is switched off once, not once by the driver and again by SafeChip.
        Assert.Equal(1, SafeStateCommands(rig));
    }

    [Fact]
    public async Task SmuErrorMidRead_LeavesTheBenchSafe()
    {
        // A read current limit of 0.1 nA is below the 2450's 1 nA minimum: the SMU rejects the read setup (-222).
        await using var rig = await Benches.SmuMatrixAsync(", \"readComplianceA\": 1e-10");
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        await chip.ApplyPulseAsync(new CellAddress(2, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);
        Assert.NotEmpty(rig.Bench!.Matrix.ClosedChannels);

        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => chip.ReadCellAsync(new CellAddress(2, 2), 0.2, CancellationToken.None));

        Assert.Equal(-222, error.Code);
        Assert.True(rig.Bench.IsSafe);
        Assert.Equal(1, SafeStateCommands(rig));
    }

    [Fact]
    public async Task GateVoltage_IsRefusedBeforeAnythingIsSent()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        var sent = rig.Wire.WriteCount;

        var error = await Assert.ThrowsAsync<UnsupportedOperationException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(0, 0), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1, WidthSeconds = 1e-3, GateVoltageV = 1.2 }, CancellationToken.None));

        Assert.Contains("1.2 V", error.Message, StringComparison.Ordinal);
        Assert.Equal(sent, rig.Wire.WriteCount);
    }

    [Fact]
    public async Task ReadComplianceAboveTheConfiguredLimit_IsAConfigError()
    {
        var config = Benches.Config("smu-matrix", """{ "smu": "TCPIP0::127.0.0.1::1::SOCKET", "matrix": "TCPIP0::127.0.0.1::2::SOCKET", "rows": 4, "columns": 4, "readComplianceA": 0.01 }""");
        var driver = new SmuMatrixDriver();

        var error = await Assert.ThrowsAsync<ConfigException>(() => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Benches.Context(config), CancellationToken.None));

        Assert.Equal("chip.settings.readComplianceA", error.JsonPath);
    }

    [Theory]
    [InlineData("""{ "matrix": "m", "rows": 4, "columns": 4 }""", "chip.settings.smu")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 13, "columns": 4 }""", "chip.settings.rows")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 4, "columns": 4, "bitLineSlot": 1 }""", "chip.settings.bitLineSlot")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 4, "columns": 4, "biasRow": "Z" }""", "chip.settings.biasRow")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 4, "columns": 4, "biasRow": "A" }""", "chip.settings.biasRow")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 4, "columns": 4, "colums": 4 }""", "chip.settings.colums")]
    public void Parse_InvalidSettings_NameTheJsonPath(string settings, string path)
    {
        var config = Benches.Config("smu-matrix", settings);

        var error = Assert.Throws<ConfigException>(() => new SmuMatrixDriver().Parse(config.Chip.Settings));

        Assert.Equal(path, error.JsonPath);
    }

    [Fact]
    public void Prepare_ShippedNanosecondLimits_AreRefusedAgainstTheMillisecondMinimum()
    {
        var config = HilConfigLoader.Parse("""
            { "chip": { "driver": "smu-matrix", "settings": { "smu": "s", "matrix": "m", "rows": 4, "columns": 4 },
              "safety": { "maxSetVoltageV": 3, "maxResetVoltageV": 3.5, "maxFormVoltageV": 5, "maxReadVoltageV": 0.5, "maxGateVoltageV": 3,
                          "maxComplianceA": 0.0005, "maxPulseWidthSeconds": 0.001, "minPulseWidthSeconds": 1e-8 } } }
            """);
        var registry = Core.Drivers.DriverRegistry.Scan([typeof(SmuMatrixDriver).Assembly]);

        var error = Assert.Throws<ConfigException>(() => Core.Drivers.ChipConnector.Prepare(config, registry));

        Assert.Equal("chip.safety.minPulseWidthSeconds", error.JsonPath);
    }

    /// <summary>How many times the SMU's safe-state message went out since the wire was last cleared.</summary>
    private static int SafeStateCommands(Rig rig) =>
        rig.Wire.Sent(rig.Resources[0]).Split('\n').Count(line => line == Keithley2450.OutputOffAtZeroCommand);
}

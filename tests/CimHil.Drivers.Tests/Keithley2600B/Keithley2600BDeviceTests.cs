using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Drivers.Keithley2600B;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Keithley2600B;

/// <summary>keithley-2600b without a matrix: one two-terminal device on channel A, or a 1T1R cell with channel B on the gate.</summary>
public sealed class Keithley2600BDeviceTests
{
    private static readonly CellAddress Cell = new(0, 0);

    [Fact]
    public async Task TwoTerminal_FormResetSetRoundTrip_ReadsWhatTheDeviceHolds()
    {
        await using var rig = await Benches.Keithley2600BDeviceAsync();
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        Assert.Equal(1, chip.Geometry.Rows);
        Assert.False(chip.Supports(ChipCapabilities.GateVoltage));

        var formed = await chip.FormAsync(Cell, new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);
        Assert.True(formed.Formed);
        var formedS = (await chip.ReadCellAsync(Cell, 0.2, CancellationToken.None)).ConductanceS;
        await chip.ApplyPulseAsync(Cell, new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.6, WidthSeconds = 1e-3 }, CancellationToken.None);
        var resetS = (await chip.ReadCellAsync(Cell, 0.2, CancellationToken.None)).ConductanceS;

        Assert.True(resetS < 0.8 * formedS, $"RESET should lower the conductance: {formedS:G4} S → {resetS:G4} S");
        var truth = rig.Backing.TrueConductanceS(Cell);
        Assert.InRange(resetS, 0.95 * truth, 1.05 * truth);
        Assert.True(rig.K2600B!.IsSafe);
    }

    [Fact]
    public async Task TwoTerminal_PulseNamingAGate_IsRefusedBeforeAnythingIsSent()
    {
        await using var rig = await Benches.Keithley2600BDeviceAsync();
        var sent = rig.Wire.WriteCount;

        var error = await Assert.ThrowsAsync<UnsupportedOperationException>(() => rig.Chip.ApplyPulseAsync(Cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1, WidthSeconds = 1e-3, GateVoltageV = 1.2 }, CancellationToken.None));

        Assert.Contains("1.2 V", error.Message, StringComparison.Ordinal);
        Assert.Equal(sent, rig.Wire.WriteCount);
    }

    [Fact]
    public async Task OneTransistorOneResistor_GateOnSmubAroundThePulse_ThenBothOff()
    {
        await using var rig = await Benches.Keithley2600BDeviceAsync(", \"gateV\": 1.5");
        Assert.True(rig.Chip.Supports(ChipCapabilities.GateVoltage));
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(Cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4, GateVoltageV = 2 }, CancellationToken.None);
        await rig.Chip.ReadCellAsync(Cell, 0.2, CancellationToken.None);

        Assert.Equal(
            "smub.source.func = smub.OUTPUT_DCVOLTS; smub.source.limiti = 0.001; smub.source.levelv = 2; smub.source.output = smub.OUTPUT_ON\nprint(errorqueue.count)\n"
            + "cimhil_pulse(smua, 4, 0.0001, 0.001)\nprint(errorqueue.count)\n"
            + "smub.source.output = smub.OUTPUT_OFF; smub.source.levelv = 0\nprint(errorqueue.count)\n"
            + "smub.source.func = smub.OUTPUT_DCVOLTS; smub.source.limiti = 0.001; smub.source.levelv = 1.5; smub.source.output = smub.OUTPUT_ON\nprint(errorqueue.count)\n"
            + "cimhil_read(smua, 0.2, 0.0005)\nprint(errorqueue.count)\nprintbuffer(1, 1, smua.nvbuffer1.readings)\n"
            + "smub.source.output = smub.OUTPUT_OFF; smub.source.levelv = 0\nprint(errorqueue.count)\n",
            rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(1, rig.K2600B!.PulsesApplied);
        Assert.True(rig.K2600B.IsSafe);

        rig.Wire.Clear();
        await rig.Chip.SafeStateAsync(CancellationToken.None);
        Assert.Equal("smua.source.output = smua.OUTPUT_OFF; smua.source.levelv = 0; smub.source.output = smub.OUTPUT_OFF; smub.source.levelv = 0\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[0]));
    }

    [Fact]
    public async Task GateAboveTheConfiguredGateLimit_IsAConfigError()
    {
        var config = Benches.Config("keithley-2600b", """{ "smu": "TCPIP0::127.0.0.1::1::SOCKET", "gateV": 3.5 }""");
        var driver = new Keithley2600BDriver();

        var error = await Assert.ThrowsAsync<ConfigException>(() => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Benches.Context(config), CancellationToken.None));

        Assert.Equal("chip.settings.gateV", error.JsonPath);
    }

    [Theory]
    [InlineData("""{ "smu": "s", "rows": 4 }""", "chip.settings.rows")]
    [InlineData("""{ "smu": "s", "gateV": 25 }""", "chip.settings.gateV")]
    [InlineData("""{ "smu": "s", "gateComplianceA": 0.5 }""", "chip.settings.gateComplianceA")]
    public void Parse_InvalidDeviceSettings_NameTheJsonPath(string settings, string path)
    {
        var config = Benches.Config("keithley-2600b", settings);

        var error = Assert.Throws<ConfigException>(() => new Keithley2600BDriver().Parse(config.Chip.Settings));

        Assert.Equal(path, error.JsonPath);
    }
}

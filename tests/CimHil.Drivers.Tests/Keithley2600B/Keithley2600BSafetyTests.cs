using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Drivers.Keithley2600B;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments.Scpi;

namespace CimHil.Drivers.Tests.Keithley2600B;

/// <summary>
/// The 2600B bench's safe state (channel A off at 0 V, matrix open) after failures, inspected on the emulated instruments;
/// the chip runs behind <see cref="SafeChip"/>, as ChipConnector builds it.
/// </summary>
public sealed class Keithley2600BSafetyTests
{
    private const string SafeStateLine = "smua.source.output = smua.OUTPUT_OFF; smua.source.levelv = 0";

    [Fact]
    public async Task MatrixErrorBeforeThePulse_LeavesTheSmuOffAndTheMatrixOpen_AndNoPulse()
    {
        // Word lines cabled to slot 3, where the emulated 707B has no card: routing fails, so the pulse is never called.
        await using var rig = await Benches.Keithley2600BAsync(", \"wordLineSlot\": 3");
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.5, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(-222, error.Code);
        Assert.Contains("3A02", error.Command, StringComparison.Ordinal);
        Assert.DoesNotContain("cimhil_pulse", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
        Assert.True(rig.K2600B!.IsSafe);
        Assert.Equal(0, rig.K2600B.PulsesApplied);
        Assert.Equal(0, rig.Backing.TotalPulses);
        Assert.Equal(1, SafeStateCommands(rig));
    }

    [Fact]
    public async Task ScriptLostByAPowerCycle_ThePulseIsAnInstrumentError_AndTheBenchIsSafe()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        rig.K2600B!.Smu.PowerCycle();
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => chip.ApplyPulseAsync(new CellAddress(2, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(-285, error.Code);
        Assert.Equal("cimhil_pulse(smua, 1, 0.0001, 0.001)", error.Command);
        Assert.Contains("attempt to call global 'cimhil_pulse'", error.Message, StringComparison.Ordinal);
        Assert.True(rig.K2600B.IsSafe);
        Assert.Equal(0, rig.Backing.TotalPulses);
        Assert.Equal(1, SafeStateCommands(rig));
    }

    [Fact]
    public async Task ReadLimitBelowTheInstrumentsRange_IsRefusedBeforeTheReadIsSent()
    {
        // 1 pA is a positive limit (the config accepts it) but below the 2600B's 10 pA: the declared range refuses it.
        await using var rig = await Benches.Keithley2600BAsync(", \"readComplianceA\": 1e-12");
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => chip.ReadCellAsync(new CellAddress(0, 0), 0.2, CancellationToken.None));

        Assert.StartsWith("smua current limit: 1E-12 A is below the minimum 1E-11 A", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cimhil_read", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
        Assert.DoesNotContain("exclusiveclose", rig.Wire.Sent(rig.Resources[1]), StringComparison.Ordinal);
        Assert.Equal(0, rig.Backing.TotalReads);
        Assert.True(rig.K2600B!.IsSafe);
    }

    [Fact]
    public async Task GateVoltage_IsRefusedBeforeAnythingIsSent()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        var sent = rig.Wire.WriteCount;

        var error = await Assert.ThrowsAsync<UnsupportedOperationException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(0, 0), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1, WidthSeconds = 1e-3, GateVoltageV = 1.2 }, CancellationToken.None));

        Assert.Contains("1.2 V", error.Message, StringComparison.Ordinal);
        Assert.Equal(sent, rig.Wire.WriteCount);
    }

    [Theory]
    [InlineData("""{ "matrix": "m", "rows": 4, "columns": 4 }""", "chip.settings.smu")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 13, "columns": 4 }""", "chip.settings.rows")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 4, "columns": 4, "readComplianceA": 0.5 }""", "chip.settings.readComplianceA")]
    [InlineData("""{ "smu": "s", "matrix": "m", "rows": 4, "columns": 4, "colums": 4 }""", "chip.settings.colums")]
    public void Parse_InvalidSettings_NameTheJsonPath(string settings, string path)
    {
        var config = Benches.Config("keithley-2600b", settings);

        var error = Assert.Throws<ConfigException>(() => new Keithley2600BDriver().Parse(config.Chip.Settings));

        Assert.Equal(path, error.JsonPath);
    }

    [Fact]
    public void Prepare_NanosecondLimits_AreRefusedAgainstThe100MicrosecondMinimum()
    {
        var config = HilConfigLoader.Parse("""
            { "chip": { "driver": "keithley-2600b", "settings": { "smu": "s", "matrix": "m", "rows": 4, "columns": 4 },
              "safety": { "maxSetVoltageV": 3, "maxResetVoltageV": 3.5, "maxFormVoltageV": 5, "maxReadVoltageV": 0.5, "maxGateVoltageV": 3,
                          "maxComplianceA": 0.0005, "maxPulseWidthSeconds": 0.001, "minPulseWidthSeconds": 1e-8 } } }
            """);
        var registry = Core.Drivers.DriverRegistry.Scan([typeof(Keithley2600BDriver).Assembly]);

        var error = Assert.Throws<ConfigException>(() => Core.Drivers.ChipConnector.Prepare(config, registry));

        Assert.Equal("chip.safety.minPulseWidthSeconds", error.JsonPath);
    }

    /// <summary>How many times channel A's safe-state line went out since the wire was last cleared.</summary>
    private static int SafeStateCommands(Rig rig) =>
        rig.Wire.Sent(rig.Resources[0]).Split('\n').Count(line => line == SafeStateLine);
}

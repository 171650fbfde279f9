using CimHil.Core.Chip;
using CimHil.Drivers.Tests.Support;
using Sourcemeter = CimHil.Instruments.Smu.Keithley2600B;

namespace CimHil.Drivers.Tests.Keithley2600B;

/// <summary>The exact TSP text the keithley-2600b driver sends to the 2600B and the 707B, against the emulated instruments.</summary>
public sealed class Keithley2600BWireTests
{
    private const string RouteCell12 = "channel.exclusiveclose(\"1A02,2B03,1C01,1C03,1C04,2C01,2C02,2C04\")\nprint(errorqueue.count)\n";

    [Fact]
    public async Task Connect_IdentifiesResets_LoadsTheScriptOnce_AndOpensTheMatrix()
    {
        await using var rig = await Benches.Keithley2600BAsync();

        Assert.Equal(
            "*IDN?\nreset()\nerrorqueue.clear()\nprint(errorqueue.count)\n" + string.Join('\n', Sourcemeter.Script) + "\ncimhil.run()\nprint(errorqueue.count)\n",
            rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal("*IDN?\nerrorqueue.clear()\nprint(errorqueue.count)\nchannel.open(\"allslots\")\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[1]));
        Assert.Equal(["cimhil"], rig.K2600B!.Smu.Scripts);
    }

    [Fact]
    public void Script_IsLoadscriptFunctionsEndscript_WithTheTriggerModelPulse()
    {
        Assert.Equal("loadscript cimhil", Sourcemeter.Script[0]);
        Assert.Equal("endscript", Sourcemeter.Script[^1]);
        Assert.Contains("smu.trigger.source.listv({levelv})", Sourcemeter.Script);
        Assert.Contains("trigger.timer[1].delay = widths", Sourcemeter.Script);
        Assert.Contains("smu.trigger.endpulse.action = smu.SOURCE_IDLE", Sourcemeter.Script);

        // Each function ends with the output off at 0 V.
        var ends = Sourcemeter.Script.Select((line, i) => (line, i)).Where(x => x.line == "end").Select(x => x.i).ToList();
        Assert.Equal(2, ends.Count);
        Assert.All(ends, i => Assert.Equal(["smu.source.output = smu.OUTPUT_OFF", "smu.source.levelv = 0"], Sourcemeter.Script.Skip(i - 2).Take(2)));
    }

    [Fact]
    public async Task Program_RoutesTheCell_ThenCallsThePulseOnce_AndChecksTheErrorQueue()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal("cimhil_pulse(smua, 1.2, 0.0001, 0.001)\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(RouteCell12, rig.Wire.Sent(rig.Resources[1]));
        var bench = rig.K2600B!;
        Assert.Equal(1, bench.PulsesApplied);
        Assert.Equal(1.2, bench.Smu.MaxAbsVoltageV);
        Assert.True(bench.Smu.IsOffAtZero("smua"));
    }

    [Fact]
    public async Task ResetPulse_DrivesTheWordLineNegative()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.5, WidthSeconds = 2e-3, ComplianceA = 5e-4 }, CancellationToken.None);

        Assert.Equal("cimhil_pulse(smua, -1.5, 0.0005, 0.002)\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[0]));
    }

    [Fact]
    public async Task Read_RoutesOnce_CallsTheRead_ThenFetchesTheBuffer()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        rig.Wire.Clear();

        var read = await rig.Chip.ReadCellAsync(new CellAddress(1, 2), 0.2, CancellationToken.None);

        Assert.Equal("cimhil_read(smua, 0.2, 0.0005)\nprint(errorqueue.count)\nprintbuffer(1, 1, smua.nvbuffer1.readings)\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(RouteCell12, rig.Wire.Sent(rig.Resources[1]));
        var expectedA = rig.Backing.TrueConductanceS(new CellAddress(1, 2)) * 0.2;
        Assert.InRange(read.CurrentA, 0.95 * expectedA, 1.05 * expectedA);

        // The same cell again: the matrix already routes it, so no relay moves.
        rig.Wire.Clear();
        await rig.Chip.ReadCellAsync(new CellAddress(1, 2), 0.2, CancellationToken.None);
        Assert.Equal(string.Empty, rig.Wire.Sent(rig.Resources[1]));
    }

    [Fact]
    public async Task Form_PulsesThenFetchesTheCurrentMeasuredDuringThePulse()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        rig.Wire.Clear();

        var result = await rig.Chip.FormAsync(new CellAddress(0, 0), new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal("cimhil_pulse(smua, 4, 0.0001, 0.001)\nprint(errorqueue.count)\nprintbuffer(1, 1, smua.nvbuffer1.readings)\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.True(result.Formed);
        Assert.Equal(1e-4, result.CurrentA);
        Assert.True(rig.Backing.IsFormed(new CellAddress(0, 0)));
    }

    [Fact]
    public async Task Dispose_SwitchesChannelAOffAtZero_ThenOpensTheMatrix()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);
        rig.Wire.Clear();

        await rig.Chip.SafeStateAsync(CancellationToken.None);

        Assert.Equal("smua.source.output = smua.OUTPUT_OFF; smua.source.levelv = 0\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal("channel.open(\"allslots\")\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[1]));
        Assert.True(rig.K2600B!.IsSafe);
    }
}

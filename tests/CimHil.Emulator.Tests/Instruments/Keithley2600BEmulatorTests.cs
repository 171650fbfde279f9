using CimHil.Core.Chip;
using CimHil.Emulator.Instruments;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Instruments;

/// <summary>The emulated 2636B's TSP interpreter: scripts, functions, the trigger-model pulse, its refusals, and the stand-alone 1T1R bench.</summary>
public sealed class Keithley2600BEmulatorTests
{
    private const string PulseScript = """
        loadscript demo
        function pulse(smu, levelv, limiti, widths)
        smu.source.output = smu.OUTPUT_OFF
        smu.source.levelv = 0
        smu.source.limiti = limiti
        smu.nvbuffer1.clear()
        smu.trigger.source.listv({levelv})
        smu.trigger.source.action = smu.ENABLE
        smu.trigger.measure.i(smu.nvbuffer1)
        smu.trigger.measure.action = smu.ENABLE
        trigger.timer[1].delay = widths
        trigger.timer[1].count = 1
        trigger.timer[1].stimulus = smu.trigger.SOURCE_COMPLETE_EVENT_ID
        smu.trigger.endpulse.stimulus = trigger.timer[1].EVENT_ID
        smu.trigger.endpulse.action = smu.SOURCE_IDLE
        smu.trigger.count = 1
        smu.source.output = smu.OUTPUT_ON
        smu.trigger.initiate()
        waitcomplete()
        smu.source.output = smu.OUTPUT_OFF
        smu.source.levelv = 0
        end
        endscript
        """;

    private static async Task<string?> Ask(Keithley2600BBench bench, string message) => await bench.Smu.ExecuteAsync(message, CancellationToken.None);

    private static async Task LoadAsync(Keithley2600BBench bench)
    {
        foreach (var line in PulseScript.Split('\n'))
        {
            Assert.Null(await Ask(bench, line));
        }

        Assert.Null(await Ask(bench, "demo.run()"));
        Assert.Equal("0.00000e+00", await Ask(bench, "print(errorqueue.count)"));
    }

    [Fact]
    public async Task LoadedFunction_PulsesTheCellThroughTheTriggerModel_AndLeavesTheOutputOff()
    {
        var bench = new Keithley2600BBench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 1, Columns = 1 }), Logger.None, withMatrix: false);
        await LoadAsync(bench);

        Assert.Null(await Ask(bench, "pulse(smua, 4, 0.0001, 0.001)"));

        Assert.Equal("0.00000e+00", await Ask(bench, "print(errorqueue.count)"));
        Assert.Equal(1, bench.PulsesApplied);
        Assert.True(bench.Chip.IsFormed(new CellAddress(0, 0)));
        Assert.Equal("1.00000e-04", await Ask(bench, "printbuffer(1, 1, smua.nvbuffer1.readings)"));
        Assert.True(bench.IsSafe);
        Assert.Equal(4, bench.Smu.MaxAbsVoltageV);
        Assert.Equal(["demo"], bench.Smu.Scripts);
    }

    [Fact]
    public async Task GateHeldAtZeroBySmub_BlocksThe1T1RCell()
    {
        var bench = new Keithley2600BBench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 1, Columns = 1 }), Logger.None, withMatrix: false);
        await LoadAsync(bench);
        Assert.Null(await Ask(bench, "smub.source.levelv = 0; smub.source.output = smub.OUTPUT_ON"));

        await Ask(bench, "pulse(smua, 4, 0.0001, 0.001)");

        Assert.Equal(0, bench.PulsesApplied);
        Assert.False(bench.Chip.IsFormed(new CellAddress(0, 0)));
        Assert.False(bench.IsSafe);
        Assert.Null(await Ask(bench, "smub.source.output = smub.OUTPUT_OFF"));
        Assert.True(bench.IsSafe);
    }

    [Theory]
    [InlineData("smua.source.levelv = 250", "-2.22000e+02\tParameter data out of range;250 V exceeds ±200 V")]
    [InlineData("smua.source.limiti = 2", "-2.22000e+02\tParameter data out of range;current limit 2 A is outside")]
    [InlineData("smua.source.func = smua.OUTPUT_DCAMPS", "-2.85000e+02\tTSP Syntax error;only the voltage source is emulated")]
    [InlineData("smua.sense = smua.SENSE_REMOTE", "-2.85000e+02\tTSP Syntax error;statement not emulated: 'smua.sense = smua.SENSE_REMOTE'")]
    [InlineData("smuc.source.levelv = 1", "-2.85000e+02\tTSP Syntax error;attempt to index global 'smuc'")]
    [InlineData("cimhil_pulse(smua, 1, 0.0001, 0.001)", "-2.85000e+02\tTSP Syntax error;attempt to call global 'cimhil_pulse' (a nil value)")]
    [InlineData("smua.trigger.initiate()", "-2.85000e+02\tTSP Syntax error;only a one-point sweep")]
    public async Task OutsideTheSubsetOrTheRanges_QueuesAnError_AndChangesNothing(string statement, string error)
    {
        var bench = new Keithley2600BBench(TestChips.BenchArray(), Logger.None);

        Assert.Null(await Ask(bench, statement));

        Assert.Equal("1.00000e+00", await Ask(bench, "print(errorqueue.count)"));
        Assert.StartsWith(error, await Ask(bench, "print(errorqueue.next())"), StringComparison.Ordinal);
        Assert.True(bench.IsSafe);
        Assert.Equal(0, bench.PulsesApplied);
    }

    [Fact]
    public async Task AChunkStopsAtTheFailingStatement()
    {
        var bench = new Keithley2600BBench(TestChips.BenchArray(), Logger.None);

        Assert.Equal("1.00000e+00", await Ask(bench, "smua.source.levelv = 1; print(smua.source.levelv); bogus(); smua.source.levelv = 2"));

        Assert.Equal("1.00000e+00", await Ask(bench, "print(smua.source.levelv)"));
        Assert.Equal("1.00000e+00", await Ask(bench, "print(errorqueue.count)"));
    }

    [Fact]
    public async Task PowerCycle_ForgetsTheScripts()
    {
        var bench = new Keithley2600BBench(TestChips.BenchArray(), Logger.None);
        await LoadAsync(bench);

        bench.Smu.PowerCycle();

        Assert.Empty(bench.Smu.Scripts);
        Assert.Null(await Ask(bench, "pulse(smua, 1, 0.0001, 0.001)"));
        Assert.Equal("1.00000e+00", await Ask(bench, "print(errorqueue.count)"));
    }

    [Fact]
    public void StandAlone_RefusesAnArray() =>
        Assert.Throws<ArgumentException>(() => new Keithley2600BBench(TestChips.BenchArray(), Logger.None, withMatrix: false));
}

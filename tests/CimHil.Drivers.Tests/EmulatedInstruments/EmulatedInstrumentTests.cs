using CimHil.Core.Chip;
using CimHil.Drivers.Tests.Support;
using CimHil.Emulator;
using CimHil.Emulator.Instruments;

namespace CimHil.Drivers.Tests.EmulatedInstruments;

/// <summary>The emulated 2450 and 707B follow their manuals' syntax and report errors the way the real instruments do.</summary>
public sealed class EmulatedInstrumentTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Matrix_RangesCloseInOrder_AndGetcloseListsThemSorted()
    {
        var bench = new SmuMatrixBench(new EmulatedChip(Benches.Array), Benches.Logger);

        Assert.Equal("nil", await bench.Matrix.ExecuteAsync("print(channel.getclose(\"allslots\"))", None));
        await bench.Matrix.ExecuteAsync("channel.close(\"2B04, 1A01:1A03\")", None);

        Assert.Equal("1A01;1A02;1A03;2B04", await bench.Matrix.ExecuteAsync("print(channel.getclose(\"allslots\"))", None));
        Assert.Equal("2B04", await bench.Matrix.ExecuteAsync("print(channel.getclose(\"slot2\"))", None));
        await bench.Matrix.ExecuteAsync("channel.exclusiveclose(\"1C05\")", None);
        Assert.Equal(["1C05"], bench.Matrix.ClosedChannels);
        await bench.Matrix.ExecuteAsync("channel.open(\"allslots\")", None);
        Assert.Empty(bench.Matrix.ClosedChannels);
    }

    [Fact]
    public async Task Matrix_CloseAllslots_IsAnErrorAndChangesNothing()
    {
        var bench = new SmuMatrixBench(new EmulatedChip(Benches.Array), Benches.Logger);

        // channel.close() refuses slotX and allslots (707B manual, channel.close() details).
        await bench.Matrix.ExecuteAsync("channel.close(\"1A01,allslots\")", None);

        Assert.Empty(bench.Matrix.ClosedChannels);
        Assert.Equal("1.00000e+00", await bench.Matrix.ExecuteAsync("print(errorqueue.count)", None));
        var next = (await bench.Matrix.ExecuteAsync("print(errorqueue.next())", None))!.Split('\t');
        Assert.Equal("-2.22000e+02", next[0]);
        Assert.Contains("allslots", next[1], StringComparison.Ordinal);
        Assert.StartsWith("0.00000e+00\tQueue Is Empty", await bench.Matrix.ExecuteAsync("print(errorqueue.next())", None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smu_RejectedSetting_GoesToTheErrorQueue_AndAFailedQueryIsSilent()
    {
        var bench = new SmuMatrixBench(new EmulatedChip(Benches.Array), Benches.Logger);

        Assert.Null(await bench.Smu.ExecuteAsync(":SOUR:VOLT:ILIM 2", None));
        Assert.Null(await bench.Smu.ExecuteAsync(":FETC?", None));

        Assert.Equal(Keithley2450Emulator.DefaultCurrentLimitA, bench.Smu.CurrentLimitA);
        Assert.StartsWith("-222,", await bench.Smu.ExecuteAsync(":SYST:ERR?", None), StringComparison.Ordinal);
        Assert.StartsWith("-230,", await bench.Smu.ExecuteAsync("SYSTem:ERRor:NEXT?", None), StringComparison.Ordinal);
        Assert.Equal("0,\"No error\"", await bench.Smu.ExecuteAsync(":SYST:ERR?", None));
    }

    [Fact]
    public async Task Smu_LongAndShortFormsAreEquivalent()
    {
        var bench = new SmuMatrixBench(new EmulatedChip(Benches.Array), Benches.Logger);

        await bench.Smu.ExecuteAsync(":SOURce:VOLTage:LEVel:IMMediate:AMPLitude 0.25;:SOURCE:VOLTAGE:ILIMIT 1e-3", None);

        Assert.Equal(0.25, bench.Smu.SourceLevelV);
        Assert.Equal("0.25;0.001", await bench.Smu.ExecuteAsync(":SOUR:VOLT?;:SOUR:VOLT:ILIM?", None));
    }

    [Fact]
    public async Task Smu_MeasuresOnlyTheRoutedCell_AndAShortHitsCompliance()
    {
        var chip = new EmulatedChip(Benches.Array);
        var bench = new SmuMatrixBench(chip, Benches.Logger);
        await bench.Smu.ExecuteAsync(":SOUR:FUNC VOLT;:SENS:FUNC \"CURR\";:SOUR:VOLT:ILIM 1e-4;:SOUR:VOLT:LEV 0.2", None);

        Assert.Equal("0", await bench.Smu.ExecuteAsync(":OUTP ON;:READ?;:OUTP OFF", None));

        await bench.Matrix.ExecuteAsync("channel.exclusiveclose(\"1A03,2B02\")", None);
        var current = double.Parse((await bench.Smu.ExecuteAsync(":OUTP ON;:READ?;:OUTP OFF", None))!, System.Globalization.CultureInfo.InvariantCulture);
        var truth = chip.TrueConductanceS(new CellAddress(2, 1)) * 0.2;
        Assert.InRange(current, 0.5 * truth, 1.5 * truth);

        // The word line on HI and on the bias bus at once shorts the output: the SMU sits at its limit.
        await bench.Matrix.ExecuteAsync("channel.close(\"1C03\")", None);
        Assert.Equal("0.0001", await bench.Smu.ExecuteAsync(":OUTP ON;:READ?;:OUTP OFF", None));
        Assert.Equal(1, bench.ShortCircuits);
    }
}

using CimHil.Core.Chip;
using CimHil.Drivers.Tests.Support;
using CimHil.Emulator;
using CimHil.Emulator.Instruments.B1500;

namespace CimHil.Drivers.Tests.EmulatedInstruments;

/// <summary>The emulated B1500A (FLEX) and B1530A (call lines) answer and fail the way the instrument and its library do.</summary>
public sealed class EmulatedB1500Tests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task<string?> CallAsync(B1500Bench bench, string line) => await bench.Wgfmu.ExecuteAsync(line, None);

    [Fact]
    public async Task Mainframe_ReportsTheWgfmuSlot_AndQueuesUndefinedCommands()
    {
        var bench = new B1500Bench(new EmulatedChip(Benches.Array), Benches.Logger, wgfmuSlot: 3);

        Assert.Equal("0,0;0,0;B1530A,0;0,0;0,0;0,0;0,0;0,0;0,0;0,0", await bench.Mainframe.ExecuteAsync("UNT?", None));
        Assert.Null(await bench.Mainframe.ExecuteAsync("XYZ 1", None));
        Assert.Equal("100,\"Undefined GPIB command.\"", await bench.Mainframe.ExecuteAsync("ERRX?", None));
        Assert.Equal("0,\"No Error.\"", await bench.Mainframe.ExecuteAsync("ERRX?", None));
        Assert.Equal("1", await bench.Mainframe.ExecuteAsync("CL;*OPC?", None));
        Assert.Equal(1, bench.Mainframe.ClearChannelCount);
        Assert.Equal("0 2 301 302", await CallAsync(bench, "WGFMU_getChannelIds 2"));
    }

    [Fact]
    public async Task Execute_WithARelayOpen_IsAContextError_WithTheLibrarysText()
    {
        var bench = new B1500Bench(new EmulatedChip(Benches.Array), Benches.Logger);
        await CallAsync(bench, "WGFMU_setOperationMode 101 2001");
        await CallAsync(bench, "WGFMU_createPattern \"p\" 0");
        await CallAsync(bench, "WGFMU_addVector \"p\" 1e-06 1");
        await CallAsync(bench, "WGFMU_addSequence 101 \"p\" 1");

        Assert.Equal("-3", await CallAsync(bench, "WGFMU_execute"));
        var error = await CallAsync(bench, "WGFMU_getError 256");
        Assert.StartsWith("0 ", error, StringComparison.Ordinal);
        Assert.EndsWith("WGFMU_execute: channel 101 has a sequence but its output relay is open (WGFMU_connect)", error, StringComparison.Ordinal);
        Assert.Equal("0 0", await CallAsync(bench, "WGFMU_getErrorSize"));
        Assert.Equal(0, bench.Wgfmu.Executions);
    }

    [Fact]
    public async Task PatternOutsideTheForceRange_IsRefusedAtExecute()
    {
        var bench = new B1500Bench(new EmulatedChip(Benches.Array), Benches.Logger);
        foreach (var line in new[]
                 {
                     "WGFMU_setOperationMode 101 2001", "WGFMU_setForceVoltageRange 101 3001", "WGFMU_createPattern \"p\" 0",
                     "WGFMU_addVector \"p\" 1e-07 4", "WGFMU_addSequence 101 \"p\" 1", "WGFMU_connect 101",
                 })
        {
            Assert.Equal("0", await CallAsync(bench, line));
        }

        Assert.Equal("-1", await CallAsync(bench, "WGFMU_execute"));
        Assert.Contains("outside the -3..3 V force range of channel 101", await CallAsync(bench, "WGFMU_getError 256"), StringComparison.Ordinal);
        Assert.Equal("-1", await CallAsync(bench, "WGFMU_addSequence 101 \"missing\" 1"));
        Assert.Equal("-1", await CallAsync(bench, "WGFMU_addVector \"p\" 1e-09 0"));
        Assert.Equal("-1", await CallAsync(bench, "WGFMU_setMeasureEvent \"p\" \"e\" 0 1 1e-07 1e-07 12001"));
    }

    [Fact]
    public async Task MeasuredExcursionBelowTheThreshold_IsARead_AboveItAPulse()
    {
        var chip = new EmulatedChip(Benches.Array);
        var bench = new B1500Bench(chip, Benches.Logger);
        var cell = new CellAddress(0, 0);
        await chip.FormAsync(cell, new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, None);
        await bench.Matrix.ExecuteAsync("channel.exclusiveclose(\"1A01,2B01\")", None);

        async Task<double> PlayAsync(double levelV)
        {
            foreach (var line in new[]
                     {
                         "WGFMU_clear", "WGFMU_setOperationMode 101 2001", "WGFMU_setOperationMode 102 2001", "WGFMU_setMeasureMode 102 4001",
                         "WGFMU_setMeasureCurrentRange 102 6003", "WGFMU_createPattern \"v\" 0", $"WGFMU_addVector \"v\" 1e-07 {levelV}",
                         $"WGFMU_addVector \"v\" 1e-05 {levelV}", "WGFMU_addVector \"v\" 1e-07 0", "WGFMU_createPattern \"z\" 0",
                         "WGFMU_addVector \"z\" 1.02e-05 0", "WGFMU_setMeasureEvent \"z\" \"i\" 5e-06 1 1e-06 1e-06 12000",
                         "WGFMU_addSequence 101 \"v\" 1", "WGFMU_addSequence 102 \"z\" 1", "WGFMU_connect 101", "WGFMU_connect 102", "WGFMU_execute",
                     })
            {
                Assert.Equal("0", await CallAsync(bench, line));
            }

            var reply = (await CallAsync(bench, "WGFMU_getMeasureValues 102 0 1"))!.Split(' ');
            Assert.Equal(["0", "1"], reply[..2]);
            Assert.Equal(5e-6 + 0, double.Parse(reply[2], System.Globalization.CultureInfo.InvariantCulture), 1e-12);
            return double.Parse(reply[3], System.Globalization.CultureInfo.InvariantCulture);
        }

        var g = chip.TrueConductanceS(cell);
        var read = await PlayAsync(0.2);
        Assert.Equal(0, bench.PulsesApplied);
        Assert.Equal(0, chip.PulseCount(cell));
        // The LO channel sinks the cell current: its sample is −G·V (within the emulator's read noise).
        Assert.InRange(read, -1.1 * g * 0.2, -0.9 * g * 0.2);

        var pulse = await PlayAsync(-1.6);
        Assert.Equal(1, bench.PulsesApplied);
        Assert.Equal(1, chip.PulseCount(cell));
        Assert.True(pulse > 0, "a negative cell voltage gives a positive LO-channel current");
        Assert.True(bench.Wgfmu.OutputV(101) == 0 && bench.Wgfmu.IsConnected(101));
        Assert.False(bench.IsSafe);
    }
}

using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.B1500;

/// <summary>
/// The exact messages the b1500 driver sends: FLEX to the mainframe and TSP to the 707B (recorded on the driver's
/// transports), and the WGFMU instrument-library calls as the stand-in library put them on the wire (the emulated
/// WGFMU's transcript), for a program pulse, a forming pulse and a read.
/// </summary>
[Collection(WgfmuSessionCollection.Name)]
public sealed class B1500WireTests
{
    private const string RouteCell12 = "channel.exclusiveclose(\"1A02,2B03,1C01,1C03,1C04,2C01,2C02,2C04\")\nprint(errorqueue.count)\n";

    /// <summary>A double as the stand-in sends it (C's %.17g).</summary>
    private static string G(double v) => v.ToString("G17", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    [Fact]
    public async Task Connect_ChecksTheWgfmuSlot_DisablesTheMainframe_InitialisesTheWgfmu_AndOpensTheMatrix()
    {
        await using var rig = await Benches.B1500Async();

        Assert.Equal("*IDN?\nUNT?\nCL\n*OPC?\nERRX?\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal("*IDN?\nerrorqueue.clear()\nprint(errorqueue.count)\nchannel.open(\"allslots\")\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[1]));
        Assert.Equal(
        [
            $"WGFMU_openSession \"{rig.Resources[2]}\"",
            "WGFMU_getChannelIdSize",
            "WGFMU_getChannelIds 2",
            "WGFMU_setTimeout 2",
            "WGFMU_initialize",
            "WGFMU_setOperationMode 101 2001",
            "WGFMU_setOperationMode 102 2001",
            "WGFMU_setMeasureMode 102 4001",
        ], rig.WgfmuServer!.Received);
    }

    [Fact]
    public async Task Program_LoadsThePulsePattern_RoutesTheCell_AndPlaysItOnce()
    {
        await using var rig = await Benches.B1500Async();
        rig.Wire.Clear();
        rig.WgfmuServer!.ClearTranscript();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        var flat = 1e-3 - 100e-9;
        Assert.Equal(
        [
            "WGFMU_clear",
            "WGFMU_setForceVoltageRange 101 3001",
            "WGFMU_setForceVoltageRange 102 3001",
            "WGFMU_setMeasureCurrentRange 102 6003",
            "WGFMU_createPattern \"pulse\" 0",
            "WGFMU_addVector \"pulse\" 9.9999999999999995e-08 1.2",
            $"WGFMU_addVector \"pulse\" {G(flat)} 1.2",
            "WGFMU_addVector \"pulse\" 9.9999999999999995e-08 0",
            "WGFMU_createPattern \"hold\" 0",
            $"WGFMU_addVector \"hold\" {G((2 * 100e-9) + flat)} 0",
            "WGFMU_addSequence 101 \"pulse\" 1",
            "WGFMU_addSequence 102 \"hold\" 1",
            "WGFMU_connect 101",
            "WGFMU_connect 102",
            "WGFMU_execute",
            "WGFMU_waitUntilCompleted",
            "WGFMU_disconnect 101",
            "WGFMU_disconnect 102",
        ], rig.WgfmuServer.Received);
        Assert.Equal(RouteCell12, rig.Wire.Sent(rig.Resources[1]));
        Assert.Equal(string.Empty, rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(1, rig.B1500!.PulsesApplied);
        Assert.True(rig.B1500.Wgfmu.IsSafe);
    }

    [Fact]
    public async Task ResetPulse_DrivesTheWordLineNegative_OnTheRangeThatHoldsIt()
    {
        await using var rig = await Benches.B1500Async();
        rig.WgfmuServer!.ClearTranscript();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 6, WidthSeconds = 1e-6, ComplianceA = 5e-3 }, CancellationToken.None);

        var calls = rig.WgfmuServer.Received;
        Assert.Equal("WGFMU_setForceVoltageRange 101 3003", calls[1]);
        Assert.Equal("WGFMU_setMeasureCurrentRange 102 6004", calls[3]);
        Assert.Equal("WGFMU_addVector \"pulse\" 9.9999999999999995e-08 -6", calls[5]);
    }

    [Fact]
    public async Task Form_SamplesTheCurrentAtTheEndOfTheFlatTop()
    {
        await using var rig = await Benches.B1500Async();
        rig.WgfmuServer!.ClearTranscript();

        var result = await rig.Chip.FormAsync(new CellAddress(0, 0), new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        var flat = 1e-3 - 100e-9;
        var calls = rig.WgfmuServer.Received;
        Assert.Contains($"WGFMU_setMeasureEvent \"hold\" \"current\" {G(100e-9 + flat - 10e-6)} 1 {G(10e-6)} {G(10e-6)} 12000", calls);
        Assert.Equal(["WGFMU_getMeasureValueSize 102", "WGFMU_getMeasureValues 102 0 1"], calls.Where(c => c.StartsWith("WGFMU_getMeasure", StringComparison.Ordinal)));
        Assert.True(result.Formed);
        Assert.Equal(1e-4, result.CurrentA, 1e-9);
        Assert.True(rig.Backing.IsFormed(new CellAddress(0, 0)));
    }

    [Fact]
    public async Task Read_PlaysTheReadPattern_AndReturnsTheCurrentTheCellCarries()
    {
        await using var rig = await Benches.B1500Async();
        var cell = new CellAddress(1, 2);
        await rig.Chip.FormAsync(cell, new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);
        rig.Wire.Clear();
        rig.WgfmuServer!.ClearTranscript();

        var read = await rig.Chip.ReadCellAsync(cell, 0.2, CancellationToken.None);

        var hold = 1e-6 + 10e-6;
        Assert.Equal(
        [
            "WGFMU_clear",
            "WGFMU_setForceVoltageRange 101 3001",
            "WGFMU_setForceVoltageRange 102 3001",
            "WGFMU_setMeasureCurrentRange 102 6003",
            "WGFMU_createPattern \"read\" 0",
            "WGFMU_addVector \"read\" 9.9999999999999995e-08 0.20000000000000001",
            $"WGFMU_addVector \"read\" {G(hold)} 0.20000000000000001",
            "WGFMU_addVector \"read\" 9.9999999999999995e-08 0",
            "WGFMU_createPattern \"hold\" 0",
            $"WGFMU_addVector \"hold\" {G((2 * 100e-9) + hold)} 0",
            $"WGFMU_setMeasureEvent \"hold\" \"current\" {G(100e-9 + 1e-6)} 1 {G(10e-6)} {G(10e-6)} 12000",
            "WGFMU_addSequence 101 \"read\" 1",
            "WGFMU_addSequence 102 \"hold\" 1",
            "WGFMU_connect 101",
            "WGFMU_connect 102",
            "WGFMU_execute",
            "WGFMU_waitUntilCompleted",
            "WGFMU_getMeasureValueSize 102",
            "WGFMU_getMeasureValues 102 0 1",
            "WGFMU_disconnect 101",
            "WGFMU_disconnect 102",
        ], rig.WgfmuServer.Received);
        Assert.Equal(string.Empty, rig.Wire.Sent(rig.Resources[1]));
        var truth = rig.Backing.TrueConductanceS(cell);
        Assert.InRange(read.ConductanceS, 0.9 * truth, 1.1 * truth);
        // Only the forming excursion reached the cell as a pulse; the read did not disturb it.
        Assert.Equal(1, rig.B1500!.PulsesApplied);
    }
}

using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Drivers.B1500;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments;
using CimHil.Instruments.Wgfmu;

namespace CimHil.Drivers.Tests.B1500;

/// <summary>
/// The fast-pulse bench's safe state (WGFMU at 0 V and disconnected, mainframe CL, matrix open) after failures, inspected
/// on the emulated instruments; refusals before anything is sent; settings errors with their JSON paths. Failures run
/// behind <see cref="SafeChip"/>, as ChipConnector builds it: that decorator owns the safe state.
/// </summary>
[Collection(WgfmuSessionCollection.Name)]
public sealed class B1500SafetyTests
{
    private static readonly ProgramPulse Set = new() { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 };

    [Fact]
    public async Task WgfmuErrorMidPulse_LeavesTheBenchSafe_AndNoPulseReachedTheCell()
    {
        await using var rig = await Benches.B1500Async();
        var bench = rig.B1500!;
        var disables = bench.Mainframe.ClearChannelCount;
        bench.Wgfmu.FailNext("WGFMU_execute");

        var error = await Assert.ThrowsAsync<WgfmuException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(new CellAddress(2, 1), Set, CancellationToken.None));

        Assert.Equal("WGFMU_execute", error.Function);
        Assert.Equal(-3, error.Status);
        Assert.Contains("emulated instrument fault", error.Detail, StringComparison.Ordinal);
        Assert.True(bench.IsSafe);
        Assert.Empty(bench.Matrix.ClosedChannels);
        Assert.Equal(disables + 1, bench.Mainframe.ClearChannelCount);
        Assert.Equal(0, rig.Backing.TotalPulses);
        Assert.Equal(0, bench.PulsesApplied);
    }

    [Fact]
    public async Task WgfmuErrorMidRead_AfterTheWaveformPlayed_LeavesTheBenchSafe()
    {
        await using var rig = await Benches.B1500Async();
        var bench = rig.B1500!;
        bench.Wgfmu.FailNext("WGFMU_getMeasureValues");

        var disables = bench.Mainframe.ClearChannelCount;

        await Assert.ThrowsAsync<WgfmuException>(() => new SafeChip(rig.Chip, Benches.Limits).ReadCellAsync(new CellAddress(3, 3), 0.2, CancellationToken.None));

        Assert.True(bench.IsSafe);
        Assert.Equal(1, bench.Wgfmu.Executions);
        Assert.Contains("WGFMU_initialize", rig.WgfmuServer!.Received.Skip(8));
        Assert.Equal(disables + 1, bench.Mainframe.ClearChannelCount);
    }

    [Fact]
    public async Task MatrixErrorMidPulse_NothingPlays_AndTheBenchIsSafe()
    {
        // Word lines cabled to slot 3, where the emulated 707B has no card: routing fails after the patterns were loaded.
        await using var rig = await Benches.B1500Async(", \"wordLineSlot\": 3");

        var disables = rig.B1500!.Mainframe.ClearChannelCount;

        await Assert.ThrowsAsync<Instruments.Scpi.ScpiErrorException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(new CellAddress(1, 1), Set, CancellationToken.None));

        Assert.True(rig.B1500.IsSafe);
        Assert.Equal(disables + 1, rig.B1500.Mainframe.ClearChannelCount);
        Assert.Equal(0, rig.B1500.Wgfmu.Executions);
        Assert.Equal(0, rig.Backing.TotalPulses);
    }

    [Fact]
    public async Task GateVoltage_AndALimitBelowTheSmallestRange_AreRefusedBeforeAnythingIsSent()
    {
        await using var rig = await Benches.B1500Async();
        var sent = rig.Wire.WriteCount;
        var calls = rig.WgfmuServer!.Received.Count;

        var gate = await Assert.ThrowsAsync<UnsupportedOperationException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(0, 0), Set with { GateVoltageV = 1.2 }, CancellationToken.None));
        var tiny = await Assert.ThrowsAsync<UnsupportedOperationException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(0, 0), Set with { ComplianceA = 5e-7 }, CancellationToken.None));
        await Assert.ThrowsAsync<Core.Safety.SafetyLimitException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(0, 0), Set with { WidthSeconds = 100e-9 }, CancellationToken.None));

        Assert.Contains("1.2 V", gate.Message, StringComparison.Ordinal);
        Assert.Contains("smallest range", tiny.Message, StringComparison.Ordinal);
        Assert.Equal(sent, rig.Wire.WriteCount);
        Assert.Equal(calls, rig.WgfmuServer.Received.Count);
    }

    [Theory]
    [InlineData(50e-6, "6002")]
    [InlineData(100e-6, "6003")]
    [InlineData(9.99e-3, "6004")]
    [InlineData(10e-3, "6005")]
    public async Task Compliance_IsRealisedByTheLargestCurrentRangeNotAboveIt(double complianceA, string range)
    {
        await using var rig = await Benches.B1500Async();
        rig.WgfmuServer!.ClearTranscript();

        await rig.Chip.ApplyPulseAsync(new CellAddress(0, 1), Set with { ComplianceA = complianceA }, CancellationToken.None);

        Assert.Contains($"WGFMU_setMeasureCurrentRange 102 {range}", rig.WgfmuServer.Received);
    }

    [Fact]
    public async Task NoWgfmuInTheConfiguredSlot_IsAClearErrorAndNothingIsLeftOpen()
    {
        var error = await Assert.ThrowsAsync<InstrumentException>(() => Benches.B1500Async(", \"wgfmuSlot\": 4"));

        Assert.Contains("slot 4 holds 'nothing', not a B1530A", error.Message, StringComparison.Ordinal);
        Assert.Contains("chip.settings.wgfmuSlot", error.Message, StringComparison.Ordinal);

        // The session was never opened: the next rig gets the process's one WGFMU session.
        await using var rig = await Benches.B1500Async();
        Assert.True(rig.B1500!.IsSafe);
    }

    [Theory]
    [InlineData("""{ "matrix": "m", "rows": 4, "columns": 4 }""", "chip.settings.mainframe")]
    [InlineData("""{ "mainframe": "b", "matrix": "m", "rows": 4, "columns": 13 }""", "chip.settings.columns")]
    [InlineData("""{ "mainframe": "b", "matrix": "m", "rows": 4, "columns": 4, "wgfmuSlot": 11 }""", "chip.settings.wgfmuSlot")]
    [InlineData("""{ "mainframe": "b", "matrix": "m", "rows": 4, "columns": 4, "readComplianceA": 1e-7 }""", "chip.settings.readComplianceA")]
    [InlineData("""{ "mainframe": "b", "matrix": "m", "rows": 4, "columns": 4, "readComplianceA": 0.02 }""", "chip.settings.readComplianceA")]
    [InlineData("""{ "mainframe": "b", "matrix": "m", "rows": 4, "columns": 4, "hiRow": "B" }""", "chip.settings.biasRow")]
    [InlineData("""{ "mainframe": "b", "matrix": "m", "rows": 4, "columns": 4, "wgfmu": "x" }""", "chip.settings.wgfmu")]
    public void Parse_InvalidSettings_NameTheJsonPath(string settings, string path)
    {
        var config = Benches.Config("b1500", settings);

        var error = Assert.Throws<ConfigException>(() => new B1500Driver().Parse(config.Chip.Settings));

        Assert.Equal(path, error.JsonPath);
    }
}

using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;
using CimHil.Emulator.Wire;
using CimHil.Instruments;

namespace CimHil.Drivers.Tests.CimHilBoard;

/// <summary>The exact bytes the cimhil-board driver puts on the wire (docs/protocol.md), against the emulated board.</summary>
public sealed class CimHilBoardWireTests
{
    [Fact]
    public async Task Connect_ClearsStatus_QueriesTheBoard_AndSelectsBinaryBlocks()
    {
        await using var rig = await Benches.BoardAsync();

        Assert.Equal(
            "*CLS\n*IDN?\nARR:GEOM?\nARR:TECH?\nARR:CAP?\nSYST:CLOC:VIRT?\nFORM REAL,64;FORM:BORD NORM\n*OPC?\nSYST:ERR?\nSYST:CLOC?\n",
            rig.Wire.Sent(rig.Resources[0]));
        Assert.True(rig.Chip.Clock.IsVirtual);
        Assert.Equal(rig.Backing.Clock.Now, rig.Chip.Clock.Now);
    }

    [Fact]
    public async Task Program_SendsOneCellProgCommandWithCompletionAndErrorCheck()
    {
        await using var rig = await Benches.BoardAsync();
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);
        Assert.Equal("CELL:PROG 1,2,SET,1.2,0.001,DEF,0.0001\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));

        rig.Wire.Clear();
        await rig.Chip.ApplyPulseAsync(new CellAddress(3, 0), new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.5, WidthSeconds = 1e-6, GateVoltageV = 2.5 }, CancellationToken.None);
        Assert.Equal("CELL:PROG 3,0,RES,1.5,1E-06,2.5,DEF\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(1, rig.Backing.PulseCount(new CellAddress(1, 2)));
        Assert.Equal(1, rig.Backing.PulseCount(new CellAddress(3, 0)));
    }

    [Fact]
    public async Task Read_SendsCellReadAndBlockReadQueries()
    {
        await using var rig = await Benches.BoardAsync();
        rig.Wire.Clear();

        await rig.Chip.ReadCellAsync(new CellAddress(2, 3), 0.2, CancellationToken.None);
        Assert.Equal("CELL:READ? 2,3,0.2\n", rig.Wire.Sent(rig.Resources[0]));

        rig.Wire.Clear();
        var block = await rig.Chip.ReadBlockAsync(new CellBlock(0, 1, 2, 3), 0.25, CancellationToken.None);
        Assert.Equal("BLK:READ? 0,1,2,3,0.25\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(6, block.CurrentsA.Length);

        rig.Wire.Clear();
        var vmm = await rig.Chip.MultiplyAsync(new[] { 0.1, 0.2, 0.0, 0.3 }, CancellationToken.None);
        Assert.Equal("ARR:VMM? 0.1,0.2,0,0.3\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(4, vmm.ColumnCurrentsA.Length);
    }

    [Fact]
    public async Task Form_SendsTheFormingQuery_AndParsesCurrentAndFlag()
    {
        await using var rig = await Benches.BoardAsync();
        rig.Wire.Clear();

        var result = await rig.Chip.FormAsync(new CellAddress(0, 0), new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal("CELL:FORM? 0,0,4,0.001,0.0001\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.True(result.Formed);
        Assert.InRange(result.CurrentA, 0, 1e-4);
    }

    [Fact]
    public async Task Dispose_SendsSystSafe()
    {
        var rig = await Benches.BoardAsync();
        rig.Wire.Clear();
        var before = rig.Backing.SafeStateCalls;

        await rig.DisposeAsync();

        Assert.Equal("SYST:SAFE\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(before + 1, rig.Backing.SafeStateCalls);
    }

    [Fact]
    public async Task AsciiFormat_BlockReadsEqualBinaryOnes()
    {
        await using var binary = await Benches.BoardAsync();
        var expected = await binary.Chip.ReadBlockAsync(new CellBlock(0, 0, 4, 4), 0.2, CancellationToken.None);

        // A second board with the same seed holds the same array and draws the same read noise.
        await using var ascii = await Benches.BoardAsync(extraSettings: ", \"dataFormat\": \"ascii\"");
        Assert.Contains("FORM ASC\n", ascii.Wire.Sent(ascii.Resources[0]), StringComparison.Ordinal);
        var actual = await ascii.Chip.ReadBlockAsync(new CellBlock(0, 0, 4, 4), 0.2, CancellationToken.None);

        Assert.Equal(expected.CurrentsA.ToArray(), actual.CurrentsA.ToArray());
    }

    [Fact]
    public async Task LinkDroppedAfterAPulse_IsUncertain_AppliedOnce_AndTheBoardIsMadeSafe()
    {
        await using var rig = await Benches.BoardAsync();
        var before = rig.Backing.SafeStateCalls;
        rig.Board!.Faults = new BoardFaults { DropAfterCommands = 1 };

        await Assert.ThrowsAsync<UncertainOutcomeException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(0, 0), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(1, rig.Board.PulsesApplied);
        Assert.Equal(before + 1, rig.Backing.SafeStateCalls);
    }

    [Fact]
    public async Task BoardRefusingAgainstItsOwnLimits_IsASafetyLimitExceptionNamingTheBoard_AndNothingIsApplied()
    {
        // The driver's own ceiling (BoardMaxima: SET 5 V, read 1 V) lets these through; the served board enforces the
        // default limits (SET 3 V, read 0.5 V) and answers -222.
        await using var rig = await Benches.BoardAsync();

        var pulse = await Assert.ThrowsAsync<SafetyLimitException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 4, WidthSeconds = 1e-6, ComplianceA = 1e-4 }, CancellationToken.None));
        var read = await Assert.ThrowsAsync<SafetyLimitException>(() => rig.Chip.ReadCellAsync(new CellAddress(0, 0), 0.8, CancellationToken.None));

        Assert.Equal(($"{rig.Resources[0]}: SET pulse", "|amplitude|", 4.0, 3.0), (pulse.Operation, pulse.Quantity, pulse.Value, pulse.Limit));
        Assert.Equal(($"{rig.Resources[0]}: read", "|read voltage|", 0.8, 0.5), (read.Operation, read.Quantity, read.Value, read.Limit));
        Assert.Equal((0L, 0L), (rig.Backing.TotalPulses, rig.Backing.ReadOperations));
    }
}

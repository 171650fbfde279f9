using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;
using CimHil.Emulator.Wire;
using CimHil.Instruments;

namespace CimHil.Drivers.Tests.CimHilBoard;

/// <summary>The raw-socket run of the cimhil-board wire suite.</summary>
public sealed class CimHilBoardWireTests() : CimHilBoardWireSuite(BoardLink.Socket);

/// <summary>The cimhil-board wire suite, faults included, over VXI-11 through CimHil's own client: the same messages, no unintended pulse.</summary>
public sealed class CimHilBoardWireOverVxi11Tests() : CimHilBoardWireSuite(BoardLink.Vxi11);

/// <summary>The cimhil-board wire suite, faults included, over HiSLIP through CimHil's own client: the same messages, no unintended pulse.</summary>
public sealed class CimHilBoardWireOverHiSlipTests() : CimHilBoardWireSuite(BoardLink.HiSlip);

/// <summary>
/// The exact bytes the cimhil-board driver puts on the wire (docs/protocol.md), against the emulated board, and what link
/// faults (drop, stall, corruption) do to pulses; run over each LAN transport (the messages are the same on all).
/// </summary>
public abstract class CimHilBoardWireSuite(BoardLink link)
{
    [Fact]
    public async Task Connect_ClearsStatus_QueriesTheBoard_AndSelectsBinaryBlocks()
    {
        await using var rig = await Benches.BoardAsync(link: link);

        Assert.Equal(
            "*CLS\n*IDN?\nARR:GEOM?\nARR:TECH?\nARR:CAP?\nSYST:CLOC:VIRT?\nFORM REAL,64;FORM:BORD NORM\n*OPC?\nSYST:ERR?\nSYST:CLOC?\nSYST:PULS:COUN?\nSYST:FORM:COUN?\n",
            rig.Wire.Sent(rig.Resources[0]));
        Assert.True(rig.Chip.Clock.IsVirtual);
        Assert.Equal(rig.Backing.Clock.Now, rig.Chip.Clock.Now);
    }

    [Fact]
    public async Task Program_SendsOneCellProgCommandWithCompletionAndErrorCheck()
    {
        await using var rig = await Benches.BoardAsync(link: link);
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
        await using var rig = await Benches.BoardAsync(link: link);
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
        await using var rig = await Benches.BoardAsync(link: link);
        rig.Wire.Clear();

        var result = await rig.Chip.FormAsync(new CellAddress(0, 0), new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal("CELL:FORM? 0,0,4,0.001,0.0001\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.True(result.Formed);
        Assert.InRange(result.CurrentA, 0, 1e-4);
    }

    [Fact]
    public async Task Dispose_SendsSystSafe()
    {
        var rig = await Benches.BoardAsync(link: link);
        rig.Wire.Clear();
        var before = rig.Backing.SafeStateCalls;

        await rig.DisposeAsync();

        Assert.Equal("SYST:SAFE\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(before + 1, rig.Backing.SafeStateCalls);
    }

    [Fact]
    public async Task DisposeThroughSafeChip_SendsSystSafeOnce()
    {
        var rig = await Benches.BoardAsync(link: link);
        var chip = Connected(rig);
        rig.Wire.Clear();
        var before = rig.Backing.SafeStateCalls;

        await chip.DisposeAsync();

        Assert.Equal("SYST:SAFE\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(before + 1, rig.Backing.SafeStateCalls);
        await rig.DisposeAsync();
    }

    [Fact]
    public async Task AsciiFormat_BlockReadsEqualBinaryOnes()
    {
        await using var binary = await Benches.BoardAsync(link: link);
        var expected = await binary.Chip.ReadBlockAsync(new CellBlock(0, 0, 4, 4), 0.2, CancellationToken.None);

        // A second board with the same seed holds the same array and draws the same read noise.
        await using var ascii = await Benches.BoardAsync(extraSettings: ", \"dataFormat\": \"ascii\"", link: link);
        Assert.Contains("FORM ASC\n", ascii.Wire.Sent(ascii.Resources[0]), StringComparison.Ordinal);
        var actual = await ascii.Chip.ReadBlockAsync(new CellBlock(0, 0, 4, 4), 0.2, CancellationToken.None);

        Assert.Equal(expected.CurrentsA.ToArray(), actual.CurrentsA.ToArray());
    }

    [Fact]
    public async Task LinkDroppedAfterAPulse_IsUncertain_ResolvedAppliedByThePulseCounter_AppliedOnce_AndTheBoardIsMadeSafeOnce()
    {
        await using var rig = await Benches.BoardAsync(link: link);
        var chip = Connected(rig);
        var before = rig.Backing.SafeStateCalls;
        rig.Board!.Faults = new BoardFaults { DropAfterCommands = 1 };
        rig.Wire.Clear();

        var ex = await Assert.ThrowsAsync<UncertainPulseException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.True(ex.Applied);
        Assert.Equal(new CellAddress(0, 0), ex.Cell);
        Assert.IsType<UncertainOutcomeException>(ex.InnerException);
        Assert.Equal(1, rig.Board.PulsesApplied);
        Assert.Equal(before + 1, rig.Backing.SafeStateCalls);

        // The pulse once, never again; the counter that settles the outcome; then one safe state, sent by SafeChip.
        Assert.Equal("CELL:PROG 0,0,SET,1.2,0.001,DEF,0.0001\n*OPC?\nSYST:ERR?\nSYST:PULS:COUN?\nSYST:SAFE\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));

        // The next pulse is counted from the resolved value: a second drop on it resolves as applied too.
        rig.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
        var again = await Assert.ThrowsAsync<UncertainPulseException>(() => chip.ApplyPulseAsync(new CellAddress(0, 1), new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.2, WidthSeconds = 1e-3 }, CancellationToken.None));
        Assert.True(again.Applied);
        Assert.Equal(2, rig.Board.PulsesApplied);
        Assert.Equal(before + 2, rig.Backing.SafeStateCalls);
    }

    [Fact]
    public async Task BoardStalledDuringAPulse_ThroughSafeChip_StaysAnUncertainPulse_ThoughTheSafeStateFailsToo()
    {
        // SafeChip's safe state meets the same outage; the caller must still get the pulse as uncertain (to record it and
        // read the cell back), not an AggregateException that hides its type.
        await using var rig = await Benches.BoardAsync(transportJson: """{ "timeoutSeconds": 0.2, "connectTimeoutSeconds": 1, "retries": 1, "retryBaseDelaySeconds": 0.001, "retryMaxDelaySeconds": 0.01 }""", link: link);
        var chip = Connected(rig);
        rig.Board!.Faults = new BoardFaults { StallAfterCommands = 0 };
        rig.Wire.Clear();

        var ex = await Assert.ThrowsAsync<UncertainPulseException>(() => chip.ApplyPulseAsync(new CellAddress(2, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Null(ex.Applied);
        Assert.IsType<UncertainOutcomeException>(ex.InnerException);
        Assert.Equal(0, rig.Board.PulsesApplied);
        Assert.Contains("SYST:SAFE\n", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BoardRefusal_ThroughSafeChip_SendsTheSafeStateOnce()
    {
        // 5 ms is inside the configured limits (Benches.Limits: 10 ms) and the board's ceiling (1 s); the served board's
        // own limit is 1 ms, so it answers -222. One failure: one SYST:SAFE, not one from the driver and one from SafeChip.
        await using var rig = await Benches.BoardAsync(link: link);
        var chip = Connected(rig);
        var before = rig.Backing.SafeStateCalls;
        rig.Wire.Clear();

        var ex = await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 5e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(("width", 5e-3, 1e-3), (ex.Quantity, ex.Value, ex.Limit));
        Assert.Equal("CELL:PROG 1,1,SET,1.2,0.005,DEF,0.0001\n*OPC?\nSYST:ERR?\nSYST:ERR?\nSYST:SAFE\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(before + 1, rig.Backing.SafeStateCalls);
        Assert.Equal(0, rig.Backing.TotalPulses);
    }

    [Fact]
    public async Task Multiply_OverTheBoardCeiling_OrWithTheWrongRowCount_IsRefusedBeforeAnythingIsSent()
    {
        // The driver's own ceiling (BoardMaxima: read 1 V) holds without SafeChip in front, with SafeChip's wording.
        await using var rig = await Benches.BoardAsync(link: link);
        rig.Wire.Clear();

        var over = await Assert.ThrowsAsync<SafetyLimitException>(() => rig.Chip.MultiplyAsync(new[] { 0.1, -1.5, 0.0, 0.3 }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => rig.Chip.MultiplyAsync(new[] { 0.1, 0.2 }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => rig.Chip.MultiplyAsync(new[] { 0.1, double.NaN, 0.0, 0.3 }, CancellationToken.None));

        Assert.Equal("vector-matrix multiply refused: |row 1 voltage| 1.5 V exceeds the maximum 1 V; nothing was applied", over.Message);
        Assert.Equal(string.Empty, rig.Wire.Sent(rig.Resources[0]));
    }

    [Fact]
    public async Task BoardStalledDuringAPulse_IsUnknown_AndTheNextPulseReReadsTheCounterFirst()
    {
        // Short timeouts: an outage is found in about a second instead of the rigs' 2 s per attempt.
        await using var rig = await Benches.BoardAsync(transportJson: """{ "timeoutSeconds": 0.2, "connectTimeoutSeconds": 1, "retries": 1, "retryBaseDelaySeconds": 0.001, "retryMaxDelaySeconds": 0.01 }""", link: link);
        var set = new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 };

        // A board that neither executes nor answers: the pulse, the safe state and the counter query all go unanswered.
        rig.Board!.Faults = new BoardFaults { StallAfterCommands = 0 };
        var ex = await Assert.ThrowsAsync<UncertainPulseException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(2, 2), set, CancellationToken.None));
        Assert.Null(ex.Applied);
        Assert.Equal(0, rig.Board.PulsesApplied);

        // Back up: before the next pulse the driver reads the counter it lost, so a drop on that pulse is settled again.
        rig.Board.Faults = BoardFaults.None;
        rig.Wire.Clear();
        await rig.Chip.ApplyPulseAsync(new CellAddress(2, 2), set, CancellationToken.None);
        Assert.Equal("SYST:PULS:COUN?\nCELL:PROG 2,2,SET,1.2,0.001,DEF,0.0001\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));

        rig.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
        var again = await Assert.ThrowsAsync<UncertainPulseException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(2, 2), set, CancellationToken.None));
        Assert.True(again.Applied);
        Assert.Equal(2, rig.Board.PulsesApplied);
    }

    [Fact]
    public async Task LinkDroppedAfterAFormingPulse_IsUncertain_ResolvedAppliedByTheFormingCounter()
    {
        await using var rig = await Benches.BoardAsync(link: link);
        rig.Board!.Faults = new BoardFaults { DropAfterCommands = 1 };

        var ex = await Assert.ThrowsAsync<UncertainPulseException>(() => rig.Chip.FormAsync(new CellAddress(1, 1), new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.True(ex.Applied);
        Assert.Equal(1, rig.Board.Protocol.FormingPulsesApplied);
    }

    [Fact]
    public async Task ClockAdvance_DropLandsOnIt_IsNotRepeated_TheBoardClockMovesOnce()
    {
        await using var rig = await Benches.BoardAsync(link: link);
        var start = rig.Chip.Clock.Now;
        rig.Board!.Faults = new BoardFaults { DropAfterCommands = 1 };
        rig.Wire.Clear();

        await rig.Chip.Clock.DelayAsync(TimeSpan.FromSeconds(100), CancellationToken.None);

        Assert.Equal(start + TimeSpan.FromSeconds(100), rig.Chip.Clock.Now);
        Assert.Equal(start + TimeSpan.FromSeconds(100), rig.Backing.Clock.Now);
        Assert.Equal("SYST:CLOC:ADV 100\n*OPC?\nSYST:ERR?\nSYST:CLOC?\n", rig.Wire.Sent(rig.Resources[0]));
    }

    [Fact]
    public async Task Connect_CorruptedIdentityReply_IsRetried_NeverAccepted()
    {
        // The server's corrupt fault replaces the first byte of the next reply: "CimHil,…" arrives as "?imHil,…".
        await using var rig = await Benches.BoardAsync(beforeConnect: (board, _) => board.Faults = new BoardFaults { CorruptReplies = 1 }, link: link);

        Assert.Equal("CimHil", rig.Chip.Identity.Vendor);
        Assert.Equal(rig.Backing.Identity, rig.Chip.Identity);
        Assert.StartsWith("*CLS\n*IDN?\n*IDN?\nARR:GEOM?\n", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_CorruptedGeometryReply_IsRetried_LikeEveryQuery()
    {
        // Armed exactly when ARR:GEOM? leaves, so it is the geometry reply ("4,4") that arrives as "?,4".
        var armed = 0;
        await using var rig = await Benches.BoardAsync(beforeConnect: (board, wire) => wire.BeforeWrite = text =>
        {
            if (text == "ARR:GEOM?\n" && Interlocked.Exchange(ref armed, 1) == 0)
            {
                board.Faults = new BoardFaults { CorruptReplies = 1 };
            }
        }, link: link);

        Assert.Equal(new ArrayGeometry(4, 4), rig.Chip.Geometry);
        Assert.StartsWith("*CLS\n*IDN?\nARR:GEOM?\nARR:GEOM?\nARR:TECH?\n", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BoardRefusingAgainstItsOwnLimits_IsASafetyLimitExceptionNamingTheBoard_AndNothingIsApplied()
    {
        // The driver's own ceiling (BoardMaxima: SET 5 V, read 1 V) lets these through; the served board enforces the
        // default limits (SET 3 V, read 0.5 V) and answers -222.
        await using var rig = await Benches.BoardAsync(link: link);

        var pulse = await Assert.ThrowsAsync<SafetyLimitException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 4, WidthSeconds = 1e-6, ComplianceA = 1e-4 }, CancellationToken.None));
        var read = await Assert.ThrowsAsync<SafetyLimitException>(() => rig.Chip.ReadCellAsync(new CellAddress(0, 0), 0.8, CancellationToken.None));

        Assert.Equal(($"{rig.Resources[0]}: SET pulse", "|amplitude|", 4.0, 3.0), (pulse.Operation, pulse.Quantity, pulse.Value, pulse.Limit));
        Assert.Equal(($"{rig.Resources[0]}: read", "read voltage", 0.8, 0.5), (read.Operation, read.Quantity, read.Value, read.Limit));
        Assert.Equal((0L, 0L), (rig.Backing.TotalPulses, rig.Backing.ReadOperations));
    }

    /// <summary>The rig's chip as ChipConnector hands it out: behind SafeChip, which owns the safe state after a failure.</summary>
    private static SafeChip Connected(Rig rig) => new(rig.Chip, Benches.Limits);
}

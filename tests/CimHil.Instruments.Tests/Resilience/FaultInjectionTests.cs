using System.Diagnostics;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>Every fault mode of the board server either recovers or fails with a clear error, and never duplicates a pulse.</summary>
public abstract class FaultInjectionTests(BoardWire wire)
{
    private const string Pulse = "CELL:PROG 1,1,SET,1.0,1e-6";

    [Fact]
    public async Task DroppedLink_IdempotentQuery_ReconnectsAndSucceeds()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        board.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
        Assert.Equal(TestChip.CurrentA(2, 2, 0.2), await session.QueryDoubleAsync("CELL:READ? 2,2,0.2", CancellationToken.None));
        Assert.Equal(2, board.Board.Protocol.CommandsExecuted); // the dropped attempt and its retry
    }

    [Fact]
    public async Task DroppedLink_DuringPulse_ThrowsUncertainOutcomeAndAppliesThePulseOnce()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        board.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
        var ex = await Assert.ThrowsAsync<UncertainOutcomeException>(() => session.ExecuteNonIdempotentAsync(Pulse, CancellationToken.None));
        Assert.Equal(Pulse, ex.Command);
        Assert.IsAssignableFrom<InstrumentIOException>(ex.InnerException);

        // The caller reads back and decides; the session reconnects for that read and the pulse count is still one.
        Assert.Equal("1", await session.QueryAsync("SYST:PULS:COUN?", CancellationToken.None));
        Assert.Equal((1, 1L), (board.Board.PulsesApplied, board.Chip.Pulses));
    }

    [Fact]
    public async Task DroppedLinkBeforePulse_NextPulseIsSentOnceOnAFreshLink()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        board.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
        await session.QueryAsync("*IDN?", CancellationToken.None); // dropped, retried, recovers
        await session.ExecuteNonIdempotentAsync(Pulse, CancellationToken.None);
        Assert.Equal(1, board.Board.PulsesApplied);
    }

    [Fact]
    public async Task DelayedReplies_ShorterThanTimeout_Succeed()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        board.Board.Faults = new BoardFaults { ReplyDelay = TimeSpan.FromMilliseconds(50) };
        await session.ExecuteNonIdempotentAsync(Pulse, CancellationToken.None);
        Assert.Equal("CimHil", (await session.IdentifyAsync(CancellationToken.None)).Manufacturer);
        Assert.Equal(1, board.Board.PulsesApplied);
    }

    [Fact]
    public async Task DelayedReplies_LongerThanTimeout_QueryFailsWithTimeoutAfterRetries()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync(BoardFixture.ShortTimeout with { Retries = 1 });
        board.Board.Faults = new BoardFaults { ReplyDelay = TimeSpan.FromSeconds(2) };
        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(() => session.QueryAsync("ARR:GEOM?", CancellationToken.None));
        Assert.Contains("ARR:GEOM?", ex.Message, StringComparison.Ordinal);
        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DelayedReplies_LongerThanTimeout_PulseIsUncertainAndNotRepeated()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync(BoardFixture.ShortTimeout);
        board.Board.Faults = new BoardFaults { ReplyDelay = TimeSpan.FromSeconds(2) };
        await Assert.ThrowsAsync<UncertainOutcomeException>(() => session.ExecuteNonIdempotentAsync(Pulse, CancellationToken.None));
        board.Board.Faults = BoardFaults.None;
        Assert.Equal("1", await session.QueryAsync("SYST:PULS:COUN?", CancellationToken.None));
    }

    [Fact]
    public async Task CorruptedReply_NumericQuery_IsRetriedAndSucceeds()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        board.Board.Faults = new BoardFaults { CorruptReplies = 1 };
        Assert.Equal(TestChip.CurrentA(1, 1, 0.2), await session.QueryDoubleAsync("CELL:READ? 1,1,0.2", CancellationToken.None));
    }

    [Fact]
    public async Task CorruptedReply_BlockHeader_IsRetriedAndSucceeds()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        await session.ExecuteAsync("FORM REAL,64", CancellationToken.None);
        board.Board.Faults = new BoardFaults { CorruptReplies = 2 };
        var values = BinaryBlock.DecodeDoubles(await session.QueryBlockAsync("ROW:READ? 3,0.2", CancellationToken.None));
        Assert.Equal(TestChip.CurrentA(3, 7, 0.2), values[7]);
    }

    [Fact]
    public async Task CorruptedReply_DuringPulse_IsUncertainAndAppliedOnce()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        board.Board.Faults = new BoardFaults { CorruptReplies = 1 };
        var ex = await Assert.ThrowsAsync<UncertainOutcomeException>(() => session.ExecuteNonIdempotentAsync(Pulse, CancellationToken.None));
        Assert.Contains("*OPC?", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, board.Board.PulsesApplied);
    }

    [Fact]
    public async Task StalledInstrument_OpensTheCircuitBreaker_AndStopsHammeringIt()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync(BoardFixture.ShortTimeout with { TimeoutSeconds = 0.1, Retries = 1 });
        board.Board.Faults = new BoardFaults { StallAfterCommands = 0 };
        var failures = new List<Exception>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            failures.Add(await Assert.ThrowsAnyAsync<InstrumentException>(() => session.QueryAsync("*IDN?", CancellationToken.None)));
        }

        Assert.IsType<InstrumentTimeoutException>(failures[0]);
        var open = Assert.IsType<InstrumentUnavailableException>(failures[^1]);
        Assert.Contains("circuit breaker is open", open.Message, StringComparison.Ordinal);

        // While open, nothing reaches the instrument.
        var seen = board.Board.Protocol.CommandsExecuted;
        await Assert.ThrowsAsync<InstrumentUnavailableException>(() => session.QueryAsync("*IDN?", CancellationToken.None));
        await Assert.ThrowsAsync<InstrumentUnavailableException>(() => session.ExecuteNonIdempotentAsync(Pulse, CancellationToken.None));
        Assert.Equal(seen, board.Board.Protocol.CommandsExecuted);
        Assert.Equal(0, board.Board.PulsesApplied);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task RepeatedDrops_PulseIsNeverRetried()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        board.Board.Faults = new BoardFaults { DropAfterCommands = 1, RepeatDrop = true };
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<UncertainOutcomeException>(() => session.ExecuteNonIdempotentAsync(Pulse, CancellationToken.None));
        }

        Assert.Equal(3, board.Board.PulsesApplied);
    }

    private BoardFixture Start() => BoardFixture.Start(wire: wire);
}

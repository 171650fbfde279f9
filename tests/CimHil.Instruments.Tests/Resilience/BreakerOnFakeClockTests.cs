using System.Text;
using CimHil.Core.Config;
using CimHil.Instruments.Resilience;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>
/// The per-exchange timeout and the circuit breaker with the shipped transport defaults, on a clock the test moves:
/// the instrument is a loopback peer that takes every message and never answers, and nothing waits on real time.
/// </summary>
public sealed class BreakerOnFakeClockTests
{
    private static readonly TimeSpan RealGuard = TimeSpan.FromSeconds(10);

    [Fact]
    public void SamplingWindow_HoldsMinimumThroughputHungExchanges()
    {
        var d = TransportConfig.Default;
        var operationTimeout = TimeSpan.FromSeconds((2 * d.TimeoutSeconds) + d.ConnectTimeoutSeconds);

        // 8 × (9 s operation timeout + 1 s longest back-off), not the configured 10 s that held two.
        Assert.Equal(TimeSpan.FromSeconds(80), InstrumentResilience.BreakerSampling(d, operationTimeout));
        Assert.Equal(TimeSpan.FromSeconds(600), InstrumentResilience.BreakerSampling(d with { BreakerSamplingSeconds = 600 }, operationTimeout));
        Assert.Equal(TimeSpan.FromSeconds(80), InstrumentResilience.Build(d, "X", BoardFixture.Logger).BreakerSamplingDuration);
    }

    [Fact]
    public async Task HungInstrument_QueryTimesOutAtTheOperationTimeout_OnTheFakeClock()
    {
        var (session, peer, clock) = HungInstrument(TransportConfig.Default with { Retries = 0 });

        var query = session.QueryAsync("*IDN?", CancellationToken.None);
        Assert.Equal("*IDN?", await ReadMessageAsync(peer));
        clock.Advance(TimeSpan.FromSeconds(9) - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.False(query.IsCompleted, "timed out before 2 × timeoutSeconds + connectTimeoutSeconds");
        clock.Advance(TimeSpan.FromMilliseconds(1));

        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(() => query.WaitAsync(RealGuard));
        Assert.Equal("LOOPBACK::INSTR: '*IDN?' timed out after 9 s (transport.timeoutSeconds)", ex.Message);
    }

    [Fact]
    public async Task HungInstrument_DefaultConfig_OpensTheBreakerAfterMinimumThroughputTimeouts()
    {
        var d = TransportConfig.Default;
        var (session, peer, clock) = HungInstrument(d);

        // Two queries of 1 + 3 retried attempts: 8 timeouts, the default minimumThroughput, all at ratio 1 ≥ 0.8.
        for (var i = 0; i < 2; i++)
        {
            var ex = await RunClockUntilDoneAsync(session.QueryAsync("*IDN?", CancellationToken.None), clock);
            Assert.IsType<InstrumentTimeoutException>(ex);
        }

        Assert.Equal(Enumerable.Repeat("*IDN?", 8), await DrainAsync(peer));

        // Open: refused at once, with the clock standing still, and nothing reaches the instrument (a pulse neither).
        var refused = session.QueryAsync("*IDN?", CancellationToken.None);
        await Task.WhenAny(refused, Task.Delay(RealGuard));
        Assert.True(refused.IsCompleted, "the breaker did not open: a third query went to the hung instrument");
        var open = await Assert.ThrowsAsync<InstrumentUnavailableException>(() => refused);
        Assert.StartsWith("LOOPBACK::INSTR failed repeatedly; the circuit breaker is open for another ", open.Message, StringComparison.Ordinal);
        // At most breakSeconds: the clock runs on in 250 ms steps until the test sees the failure, and on a loaded machine
        // a few steps can pass after the breaker opened, so only the bound is pinned (CI saw 4.25 s of 5).
        Assert.InRange(open.RetryAfter!.Value.TotalSeconds, 0.001, d.BreakerBreakSeconds);
        await Assert.ThrowsAsync<InstrumentUnavailableException>(() => session.ExecuteNonIdempotentAsync("CELL:PROG 1,1,SET,1.0,1e-6", CancellationToken.None).WaitAsync(RealGuard));
        Assert.Empty(await DrainAsync(peer));

        // After breakSeconds it lets one trial call through to the instrument.
        clock.Advance(TimeSpan.FromSeconds(d.BreakerBreakSeconds));
        var trial = session.QueryAsync("*IDN?", CancellationToken.None);
        Assert.Equal("*IDN?", await ReadMessageAsync(peer));
        await RunClockUntilDoneAsync(trial, clock);
    }

    [Fact]
    public async Task Session_AfterATimedOutQuery_TimesTheNextExchangesOutAtTheFullLimitAgain()
    {
        var (session, peer, clock) = HungInstrument(TransportConfig.Default with { Retries = 0 });
        var operationTimeout = TimeSpan.FromSeconds(9);

        var hung = session.QueryAsync("*IDN?", CancellationToken.None);
        Assert.Equal("*IDN?", await ReadMessageAsync(peer));
        clock.Advance(operationTimeout);
        await Assert.ThrowsAsync<InstrumentTimeoutException>(() => hung.WaitAsync(RealGuard));

        // The link was re-opened (the loopback forgets unread input); the next query is answered.
        var answered = session.QueryAsync("*OPC?", CancellationToken.None);
        Assert.Equal("*OPC?", await ReadMessageAsync(peer));
        await peer.WriteAsync("1\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("1", await answered.WaitAsync(RealGuard));

        // And the one after that gets the whole limit again, not what was left of a spent deadline.
        var again = session.QueryAsync("*IDN?", CancellationToken.None);
        Assert.Equal("*IDN?", await ReadMessageAsync(peer));
        clock.Advance(operationTimeout - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.False(again.IsCompleted, "timed out before the full operation timeout");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAsync<InstrumentTimeoutException>(() => again.WaitAsync(RealGuard));
    }

    private static (ScpiSession Session, LoopbackTransport Peer, ManualTimeProvider Clock) HungInstrument(TransportConfig config)
    {
        var clock = new ManualTimeProvider();
        var (client, peer) = LoopbackTransport.CreatePair();
        var session = new ScpiSession(client, config, BoardFixture.Logger, timeProvider: clock);

        // Only the pipeline's timeout, on the fake clock, may end a hung exchange: the transport's own bound is real time.
        client.Timeout = Timeout.InfiniteTimeSpan;
        peer.Timeout = TimeSpan.FromMilliseconds(200);
        return (session, peer, clock);
    }

    /// <summary>Moves the fake clock in small steps (timeouts, back-offs) until <paramref name="operation"/> has failed.</summary>
    private static async Task<Exception> RunClockUntilDoneAsync(Task operation, ManualTimeProvider clock)
    {
        for (var step = 0; !operation.IsCompleted && step < 20_000; step++)
        {
            await Task.Delay(1);
            clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        return await Assert.ThrowsAnyAsync<InstrumentException>(() => operation);
    }

    private static async Task<string> ReadMessageAsync(LoopbackTransport peer) =>
        Encoding.ASCII.GetString(await peer.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None).AsTask().WaitAsync(RealGuard));

    /// <summary>Every message the instrument has received so far (the peer's read times out, in real time, when there are no more).</summary>
    private static async Task<List<string>> DrainAsync(LoopbackTransport peer)
    {
        var messages = new List<string>();
        while (true)
        {
            try
            {
                messages.Add(Encoding.ASCII.GetString(await peer.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None)));
            }
            catch (InstrumentTimeoutException)
            {
                return messages;
            }
        }
    }
}

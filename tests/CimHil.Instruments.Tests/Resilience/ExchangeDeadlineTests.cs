using System.Text;
using CimHil.Core.Config;
using CimHil.Instruments.Resilience;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>The session's one reusable exchange deadline: re-armed per exchange, replaced once after it fired, on the session's clock.</summary>
public sealed class ExchangeDeadlineTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(9);

    [Fact]
    public void SuccessiveExchanges_ReuseOneSource()
    {
        using var deadline = new ExchangeDeadline(Limit, new ManualTimeProvider());
        var first = deadline.Start(CancellationToken.None);
        deadline.Stop();
        var second = deadline.Start(CancellationToken.None);
        deadline.Stop();

        Assert.Equal(first, second); // tokens are equal when they come from the same source
    }

    [Fact]
    public void Deadline_FiresAtItsLimitOnTheClock_AndNotAfterStop()
    {
        var clock = new ManualTimeProvider();
        using var deadline = new ExchangeDeadline(Limit, clock);

        var token = deadline.Start(CancellationToken.None);
        clock.Advance(Limit - TimeSpan.FromTicks(1));
        Assert.False(token.IsCancellationRequested);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(token.IsCancellationRequested);
        Assert.True(deadline.HasExpired(CancellationToken.None));
        deadline.Stop();

        var next = deadline.Start(CancellationToken.None);
        deadline.Stop();
        clock.Advance(TimeSpan.FromDays(1));
        Assert.False(next.IsCancellationRequested); // stopped: the timer was disarmed
    }

    [Fact]
    public void AfterATimeout_TheNextExchangeGetsAFreshSourceAndAFullLimit()
    {
        var clock = new ManualTimeProvider();
        using var deadline = new ExchangeDeadline(Limit, clock);
        var expired = deadline.Start(CancellationToken.None);
        clock.Advance(Limit);
        deadline.Stop();

        var fresh = deadline.Start(CancellationToken.None);

        Assert.NotEqual(expired, fresh);
        Assert.False(fresh.IsCancellationRequested);
        clock.Advance(Limit - TimeSpan.FromTicks(1));
        Assert.False(fresh.IsCancellationRequested);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(fresh.IsCancellationRequested);
    }

    [Fact]
    public void CallerCancellation_EndsTheExchange_ButIsNoTimeout_AndDoesNotReachTheNextOne()
    {
        using var deadline = new ExchangeDeadline(Limit, new ManualTimeProvider());
        using var first = new CancellationTokenSource();
        var token = deadline.Start(first.Token);
        first.Cancel();
        Assert.True(token.IsCancellationRequested);
        Assert.False(deadline.HasExpired(first.Token));
        deadline.Stop();

        using var second = new CancellationTokenSource();
        var next = deadline.Start(second.Token);
        deadline.Stop();
        second.Cancel(); // after Stop the caller's token is unlinked
        Assert.False(next.IsCancellationRequested);
    }

    [Fact]
    public async Task Session_AfterATimedOutQuery_TimesTheNextExchangesOutAtTheFullLimitAgain()
    {
        var clock = new ManualTimeProvider();
        var (client, peer) = LoopbackTransport.CreatePair();
        await using var session = new ScpiSession(client, TransportConfig.Default with { Retries = 0 }, BoardFixture.Logger, timeProvider: clock);
        client.Timeout = Timeout.InfiniteTimeSpan; // only the deadline, on the fake clock, ends a hung exchange
        var operationTimeout = TimeSpan.FromSeconds(9);

        var hung = session.QueryAsync("*IDN?", CancellationToken.None);
        Assert.Equal("*IDN?", await ReadMessageAsync(peer));
        clock.Advance(operationTimeout);
        await Assert.ThrowsAsync<InstrumentTimeoutException>(() => hung.WaitAsync(TimeSpan.FromSeconds(10)));

        // The link was re-opened (the loopback forgets unread input); the next query is answered.
        var answered = session.QueryAsync("*OPC?", CancellationToken.None);
        Assert.Equal("*OPC?", await ReadMessageAsync(peer));
        await peer.WriteAsync("1\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("1", await answered.WaitAsync(TimeSpan.FromSeconds(10)));

        // And the one after that gets the whole limit again, not what was left of a spent deadline.
        var again = session.QueryAsync("*IDN?", CancellationToken.None);
        Assert.Equal("*IDN?", await ReadMessageAsync(peer));
        clock.Advance(operationTimeout - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.False(again.IsCompleted, "timed out before the full operation timeout");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAsync<InstrumentTimeoutException>(() => again.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task<string> ReadMessageAsync(LoopbackTransport peer) =>
        Encoding.ASCII.GetString(await peer.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
}

using CimHil.Instruments.Resilience;
using CimHil.Instruments.Tests.Support;

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
    public void ACallWithAShorterLimit_EndsAtItsOwnLimit_NotAtTheArmedOnes()
    {
        // The transport's watchdog: its Timeout can be shortened between calls while the timer is armed for a longer one.
        var clock = new ManualTimeProvider();
        using var deadline = new ExchangeDeadline(Timeout.InfiniteTimeSpan, clock);
        deadline.Start(Limit, CancellationToken.None);
        deadline.Stop();

        var shorter = deadline.Start(TimeSpan.FromSeconds(1), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.False(shorter.IsCancellationRequested);
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(shorter.IsCancellationRequested);
    }

    [Fact]
    public void AnUnboundedCall_GetsTheCallersTokenAsItIs_AndNeverExpires()
    {
        var clock = new ManualTimeProvider();
        using var deadline = new ExchangeDeadline(Timeout.InfiniteTimeSpan, clock);
        using var caller = new CancellationTokenSource();

        Assert.Equal(caller.Token, deadline.Start(Timeout.InfiniteTimeSpan, caller.Token));
        deadline.Stop();
        Assert.Equal(CancellationToken.None, deadline.Start(TimeSpan.Zero, CancellationToken.None));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.False(deadline.HasExpired(CancellationToken.None));
        deadline.Stop();
    }
}

using CimHil.Instruments.Resilience;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>
/// The breaker's accounting on a clock the test moves (the semantics of Polly 8's advanced breaker, which it replaced):
/// minimum throughput and failure ratio over a window that slides in tenths, the break, and the half-open trial.
/// </summary>
public sealed class CircuitBreakerTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(5);

    [Fact]
    public void Failures_OpenItOnlyOnceMinimumThroughputAreCounted()
    {
        var (breaker, _) = Breaker();
        Fail(breaker, 7);
        Assert.Equal(CircuitState.Closed, breaker.State); // 7 of 7 failed, but fewer than 8 were counted

        Fail(breaker, 1);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void Failures_OpenItAtTheFailureRatio_NotBelowIt()
    {
        var (breaker, _) = Breaker();
        breaker.OnSuccess();
        breaker.OnSuccess();
        Fail(breaker, 6);
        Assert.Equal(CircuitState.Closed, breaker.State); // 6 / 8 = 0.75
        Fail(breaker, 1);
        Assert.Equal(CircuitState.Closed, breaker.State); // 7 / 9 = 0.78

        Fail(breaker, 1);
        Assert.Equal(CircuitState.Open, breaker.State); // 8 / 10 = 0.8
    }

    [Theory]
    [InlineData(9.999, CircuitState.Open)]
    [InlineData(10.0, CircuitState.Closed)]
    public void Outcomes_LeaveTheWindowATenthAtATime(double secondsOfTheLastFailure, CircuitState expected)
    {
        // 4 failures at 0 s and 3 at 5 s: the first four count until their tenth of the window began 10 s ago.
        var (breaker, clock) = Breaker();
        Fail(breaker, 4);
        clock.Advance(TimeSpan.FromSeconds(5));
        Fail(breaker, 3);
        clock.Advance(TimeSpan.FromSeconds(secondsOfTheLastFailure - 5));
        Fail(breaker, 1);

        Assert.Equal(expected, breaker.State);
    }

    [Fact]
    public void Open_RefusesWithTheBreakLeftAndTheFailureThatOpenedIt()
    {
        var (breaker, clock) = Breaker();
        Fail(breaker, 7);
        var opening = new InstrumentTimeoutException("X", "'*IDN?'", TimeSpan.FromSeconds(9));
        breaker.OnFailure(opening);
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.False(breaker.TryEnter(out var retryAfter, out var cause));
        Assert.Equal(TimeSpan.FromSeconds(3), retryAfter);
        Assert.Same(opening, cause);
    }

    [Fact]
    public void AfterTheBreak_OneTrialGoesThrough_AndItsSuccessClosesItAfresh()
    {
        var (breaker, _) = OpenedAndWaitedOut();

        Assert.True(breaker.TryEnter(out _, out _));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.False(breaker.TryEnter(out var retryAfter, out _)); // the trial is under way: nobody else
        Assert.Equal(Break, retryAfter);

        breaker.OnSuccess();
        Assert.Equal(CircuitState.Closed, breaker.State);
        Fail(breaker, 7); // the failures before the break are forgotten: seven new ones are too few
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void AFailedTrial_OpensItAgainForAWholeBreak()
    {
        var (breaker, clock) = OpenedAndWaitedOut();
        Assert.True(breaker.TryEnter(out _, out _));
        clock.Advance(TimeSpan.FromSeconds(1));

        Fail(breaker, 1);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryEnter(out var retryAfter, out _));
        Assert.Equal(Break, retryAfter);
    }

    [Fact]
    public void ATrialThatEndsAsNeither_DoesNotShutTheInstrumentOutForEver()
    {
        // The trial was a command the instrument rejected (or the caller cancelled): no verdict on the link.
        var (breaker, clock) = OpenedAndWaitedOut();
        Assert.True(breaker.TryEnter(out _, out _));

        clock.Advance(Break);

        Assert.True(breaker.TryEnter(out _, out _));
    }

    private static (CircuitBreaker Breaker, ManualTimeProvider Clock) Breaker()
    {
        var clock = new ManualTimeProvider();
        return (new CircuitBreaker(0.8, 8, Window, Break, clock, "X", BoardFixture.Logger), clock);
    }

    /// <summary>A breaker opened by eight failures, with its break just elapsed on the clock.</summary>
    private static (CircuitBreaker Breaker, ManualTimeProvider Clock) OpenedAndWaitedOut()
    {
        var (breaker, clock) = Breaker();
        Fail(breaker, 8);
        clock.Advance(Break);
        return (breaker, clock);
    }

    private static void Fail(CircuitBreaker breaker, int times)
    {
        for (var i = 0; i < times; i++)
        {
            breaker.OnFailure(new InstrumentIOException("X", "X: link dropped"));
        }
    }
}

using CimHil.Instruments.Resilience;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>The one conversion of durations to a clock's timestamp units that the breaker's window, its break and the exchange deadline share.</summary>
public sealed class ClockTimestampsTests
{
    /// <summary>A clock counting in nanoseconds, as Linux's monotonic clock does under <see cref="TimeProvider.System"/>.</summary>
    private sealed class NanosecondClock : TimeProvider
    {
        public override long TimestampFrequency => 1_000_000_000;
    }

    [Fact]
    public void TimestampsOf_FakeClockInTicks_IsTheTicks()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250).Ticks, new ManualTimeProvider().TimestampsOf(TimeSpan.FromMilliseconds(250)));
    }

    [Fact]
    public void TimestampsOf_NanosecondClock_ScalesByItsFrequency()
    {
        Assert.Equal(1_500_000_000, new NanosecondClock().TimestampsOf(TimeSpan.FromSeconds(1.5)));
        Assert.Equal(TimeProvider.System.TimestampFrequency * 2, TimeProvider.System.TimestampsOf(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void TimestampsOf_HugeDuration_IsCappedSoThatAddingItToATimestampCannotOverflow()
    {
        var capped = new NanosecondClock().TimestampsOf(TimeSpan.MaxValue);

        Assert.InRange(capped, (long.MaxValue / 4) - 1, (long.MaxValue / 4) + 1); // the cap goes through a double, exact to one unit
        Assert.True(Environment.TickCount64 + capped > 0);
    }
}

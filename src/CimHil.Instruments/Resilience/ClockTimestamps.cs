namespace CimHil.Instruments.Resilience;

/// <summary>Durations in a <see cref="TimeProvider"/>'s timestamp units, for deadlines and windows kept as raw timestamps.</summary>
internal static class ClockTimestamps
{
    /// <summary>
    /// <paramref name="duration"/> in <paramref name="clock"/>'s timestamp units (the system clock counts at its own
    /// <see cref="TimeProvider.TimestampFrequency"/>, the tests' fake clock in ticks), capped at a quarter of the range of
    /// <see cref="long"/> so that a timestamp plus or minus it cannot overflow (an infinite break or window).
    /// </summary>
    public static long TimestampsOf(this TimeProvider clock, TimeSpan duration) =>
        (long)Math.Min(duration.Ticks * ((double)clock.TimestampFrequency / TimeSpan.TicksPerSecond), long.MaxValue / 4);
}

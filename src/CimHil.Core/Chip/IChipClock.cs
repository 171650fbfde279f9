namespace CimHil.Core.Chip;

/// <summary>Time as the chip sees it. Drift and retention procedures wait on this clock, never on Task.Delay.</summary>
public interface IChipClock
{
    DateTimeOffset Now { get; }

    bool IsVirtual { get; }

    /// <summary>Lets <paramref name="duration"/> pass on the chip: advances a virtual clock at once, waits on a real one.</summary>
    Task DelayAsync(TimeSpan duration, CancellationToken cancellationToken);
}

/// <summary>The wall clock, for real hardware.</summary>
public sealed class WallClock : IChipClock
{
    public static WallClock Instance { get; } = new();

    public DateTimeOffset Now => DateTimeOffset.UtcNow;

    public bool IsVirtual => false;

    public Task DelayAsync(TimeSpan duration, CancellationToken cancellationToken) =>
        duration <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(duration, cancellationToken);
}

/// <summary>A clock that only moves when told to: drift over days runs in milliseconds.</summary>
public sealed class VirtualClock : IChipClock
{
    private readonly object _gate = new();
    private DateTimeOffset _now;

    public VirtualClock(DateTimeOffset start) => _now = start;

    /// <summary>The fixed epoch used by default so results are reproducible per seed.</summary>
    public static DateTimeOffset DefaultEpoch { get; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset Now
    {
        get
        {
            lock (_gate)
            {
                return _now;
            }
        }
    }

    public bool IsVirtual => true;

    public void Advance(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        lock (_gate)
        {
            _now += duration;
        }
    }

    public Task DelayAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (duration > TimeSpan.Zero)
        {
            Advance(duration);
        }

        return Task.CompletedTask;
    }
}

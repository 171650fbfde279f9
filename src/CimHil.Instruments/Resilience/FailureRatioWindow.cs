namespace CimHil.Instruments.Resilience;

/// <summary>
/// Successes and failures over a sliding sampling window, kept as the window's tenths (buckets) so old outcomes fall
/// out in steps of a tenth. The same accounting as Polly 8's advanced circuit breaker (<c>RollingHealthMetrics</c>:
/// a bucket starts when an outcome arrives a tenth or more after the current one began, and a bucket leaves once it
/// began a whole window ago; windows shorter than 10 × 20 ms are one bucket), which CimHil's breaker replaced in
/// issue 18 — but in a fixed ring instead of a queue of objects, so counting allocates nothing. Not thread-safe: the
/// <see cref="CircuitBreaker"/> calls it under its lock.
/// </summary>
internal sealed class FailureRatioWindow
{
    /// <summary>Polly's bucket count and timer resolution: a window under 200 ms is kept as a single bucket.</summary>
    private const int BucketsPerWindow = 10;
    private static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(20);

    private readonly TimeProvider _clock;
    private readonly long _windowTicks;
    private readonly long _bucketTicks;

    /// <summary>
    /// One more slot than buckets per window: bucket starts are at least a bucket apart, and the bucket length is the
    /// window divided down (rounded), so at most eleven can lie within one window.
    /// </summary>
    private readonly Bucket[] _ring;
    private int _oldest;
    private int _count;
    private int _successes;
    private int _failures;

    public FailureRatioWindow(TimeSpan window, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _clock = clock;
        _windowTicks = clock.TimestampsOf(window);
        var single = window < Resolution * BucketsPerWindow;
        _bucketTicks = single ? _windowTicks : Math.Max(1, _windowTicks / BucketsPerWindow);
        _ring = new Bucket[single ? 1 : BucketsPerWindow + 1];
    }

    /// <summary>Outcomes counted in the window as it stands now.</summary>
    public int Throughput
    {
        get
        {
            Advance(_clock.GetTimestamp());
            return _successes + _failures;
        }
    }

    /// <summary>Failures over outcomes in the window as it stands now (0 when there are none).</summary>
    public double FailureRatio
    {
        get
        {
            Advance(_clock.GetTimestamp());
            var total = _successes + _failures;
            return total == 0 ? 0 : (double)_failures / total;
        }
    }

    public void AddSuccess()
    {
        _successes++;
        _ring[Current()].Successes++;
    }

    public void AddFailure()
    {
        _failures++;
        _ring[Current()].Failures++;
    }

    /// <summary>Forgets everything (the breaker closed).</summary>
    public void Reset()
    {
        _count = 0;
        _successes = 0;
        _failures = 0;
    }

    /// <summary>The slot of the bucket this moment's outcome goes into, starting one if the current bucket is a tenth old.</summary>
    private int Current()
    {
        var now = _clock.GetTimestamp();
        var newest = (_oldest + _count - 1) % _ring.Length;
        if (_count == 0 || now - _ring[newest].StartedAt >= _bucketTicks)
        {
            Advance(now);
            if (_count == _ring.Length)
            {
                // Cannot happen with the sizes above; dropping the oldest keeps the counts right if it ever did.
                Drop();
            }

            newest = (_oldest + _count) % _ring.Length;
            _ring[newest] = new Bucket { StartedAt = now };
            _count++;
            return newest;
        }

        Advance(now);
        return newest;
    }

    /// <summary>Drops the buckets that began a whole window ago or earlier.</summary>
    private void Advance(long now)
    {
        while (_count > 0 && now - _ring[_oldest].StartedAt >= _windowTicks)
        {
            Drop();
        }
    }

    private void Drop()
    {
        _successes -= _ring[_oldest].Successes;
        _failures -= _ring[_oldest].Failures;
        _oldest = (_oldest + 1) % _ring.Length;
        _count--;
    }

    private struct Bucket
    {
        public long StartedAt;
        public int Successes;
        public int Failures;
    }
}

namespace CimHil.Instruments.Resilience;

/// <summary>
/// The bound on one whole exchange (a reply read, plus a reconnect and an error-queue read when a query is answered by
/// silence), on the session's clock. One cancellation source and one timer per session instead of a source and a
/// timer per exchange: the per-exchange timer was part of what each query cost on a loopback link (issue 18,
/// docs/instruments.md "Session overhead"). The timer is lazy: <see cref="Start"/> only notes the start time and arms
/// the timer if it is idle, <see cref="Stop"/> only notes the end; when the timer fires it cancels the source if the
/// exchange under way is past its limit, re-arms itself for the rest if a later exchange is under way, and goes idle
/// otherwise. So back-to-back exchanges cost a timestamp each and the timer fires about once per limit, while every
/// exchange still ends exactly at its start + limit. A source that was cancelled is replaced before the next exchange.
/// <see cref="CancellationTokenSource.TryReset"/> is no help here: on a timer of any clock but the system's it cannot
/// tell whether the timer fired and answers false (seen on .NET 10 with the tests' fake clock). Start and Stop are
/// called under the session's lock; the timer's callback takes <see cref="_gate"/> against them.
/// </summary>
internal sealed class ExchangeDeadline : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly ITimer? _timer;
    private readonly long _limitTicks;
    private CancellationTokenSource _source = new();
    private CancellationTokenRegistration _callerLink;
    private long _startedAt;
    private bool _running;
    private bool _armed;

    /// <summary>Set when the timer decided to cancel <see cref="_source"/>: the next exchange must not get it.</summary>
    private bool _doomed;

    public ExchangeDeadline(TimeSpan limit, TimeProvider clock)
    {
        Limit = limit;
        _clock = clock;
        if (limit != Timeout.InfiniteTimeSpan)
        {
            _limitTicks = clock.TimestampsOf(limit);
            _timer = clock.CreateTimer(static state => ((ExchangeDeadline)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>How long one exchange may take; <see cref="Timeout.InfiniteTimeSpan"/> for no bound.</summary>
    public TimeSpan Limit { get; }

    /// <summary>Arms the deadline for one exchange; the token fires when it passes or when <paramref name="caller"/> is cancelled.</summary>
    public CancellationToken Start(CancellationToken caller)
    {
        lock (_gate)
        {
            if (_doomed || _source.IsCancellationRequested)
            {
                // The last exchange ran out of time or was cancelled by its caller. The old source is dropped, not
                // disposed: the timer's callback may be cancelling it right now, and a source without a timer or a
                // wait handle holds nothing that needs disposing.
                _source = new CancellationTokenSource();
                _doomed = false;
            }

            _startedAt = _clock.GetTimestamp();
            _running = true;
            if (_timer is not null && !_armed)
            {
                _armed = true;
                _timer.Change(Limit, Timeout.InfiniteTimeSpan);
            }
        }

        _callerLink = caller.CanBeCanceled
            ? caller.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), _source)
            : default;
        return _source.Token;
    }

    /// <summary>Whether the exchange under way ran out of time (rather than being cancelled by its caller).</summary>
    public bool HasExpired(CancellationToken caller) => _source.IsCancellationRequested && !caller.IsCancellationRequested;

    /// <summary>Ends the exchange: unlinks the caller; the timer, if armed, goes idle when it next fires.</summary>
    public void Stop()
    {
        _callerLink.Dispose();
        _callerLink = default;
        lock (_gate)
        {
            _running = false;
        }
    }

    public void Dispose()
    {
        _callerLink.Dispose();
        _timer?.Dispose();
        _source.Dispose();
    }

    private void OnTimer()
    {
        CancellationTokenSource? expired = null;
        lock (_gate)
        {
            if (!_running)
            {
                _armed = false;
                return;
            }

            var left = _limitTicks - (_clock.GetTimestamp() - _startedAt);
            if (left > 0)
            {
                // A later exchange than the one the timer was armed for: wait for the rest of its limit.
                _timer!.Change(_clock.GetElapsedTime(0, left), Timeout.InfiniteTimeSpan);
                return;
            }

            _armed = false;
            _doomed = true;
            expired = _source;
        }

        // Outside the lock: cancelling runs the token's callbacks (the transport's, the socket's), which may resume the
        // exchange inline, and that calls Stop.
        expired.Cancel();
    }
}

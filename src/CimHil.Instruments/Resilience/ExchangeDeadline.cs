namespace CimHil.Instruments.Resilience;

/// <summary>
/// A watchdog on one call at a time: the bound on a whole exchange for <see cref="Scpi.ScpiSession"/> (a reply read,
/// plus a reconnect and an error-queue read when a query is answered by silence, on the session's clock), and the bound
/// on each single read or write for <see cref="Transports.BufferedTransport"/> (its <c>Timeout</c>, on real time). One
/// cancellation source and one timer per owner instead of a source and a timer per call: the per-call timer was part of
/// what each query cost on a loopback link (issue 18, docs/instruments.md "Session overhead", rounds four and five).
/// The timer is lazy: <see cref="Start(CancellationToken)"/> only notes the start time and arms the timer if it is idle,
/// <see cref="Stop"/> only notes the end; when the timer fires it cancels the source if the call under way is past its
/// limit, re-arms itself for the rest if a later call is under way, and goes idle otherwise. So back-to-back calls cost
/// a timestamp each and the timer fires about once per limit, while every call still ends exactly at its start + limit.
/// A source that was cancelled is replaced before the next call.
/// <see cref="CancellationTokenSource.TryReset"/> is no help here: on a timer of any clock but the system's it cannot
/// tell whether the timer fired and answers false (seen on .NET 10 with the tests' fake clock). Start and Stop are
/// called by one caller at a time (the session's lock, the transport's single-caller contract); the timer's callback
/// takes <see cref="_gate"/> against them.
/// </summary>
internal sealed class ExchangeDeadline : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private ITimer? _timer;
    private CancellationTokenSource _source = new();
    private CancellationTokenRegistration _callerLink;
    private long _startedAt;
    private long _limitTicks;
    private bool _running;
    private bool _armed;

    /// <summary>When the armed timer fires (a timestamp of the clock); a call with a shorter limit re-arms it earlier.</summary>
    private long _timerDueAt;

    /// <summary>Whether the call under way has a bound (an unbounded one never "expires").</summary>
    private bool _bounded;

    /// <summary>Set when the timer decided to cancel <see cref="_source"/>: the next call must not get it.</summary>
    private bool _doomed;

    public ExchangeDeadline(TimeSpan limit, TimeProvider clock)
    {
        Limit = limit;
        _clock = clock;
    }

    /// <summary>How long one call may take unless <see cref="Start(TimeSpan, CancellationToken)"/> says otherwise; <see cref="Timeout.InfiniteTimeSpan"/> for no bound.</summary>
    public TimeSpan Limit { get; }

    /// <summary>Arms the deadline for one call of <see cref="Limit"/>; the token fires when it passes or when <paramref name="caller"/> is cancelled.</summary>
    public CancellationToken Start(CancellationToken caller) => Start(Limit, caller);

    /// <summary>
    /// Arms the deadline for one call of <paramref name="limit"/> (zero, negative or infinite: no bound, and then the
    /// caller's own token is returned as it is — nothing to link, nothing for a socket to register on when it cannot cancel).
    /// </summary>
    public CancellationToken Start(TimeSpan limit, CancellationToken caller)
    {
        if (limit <= TimeSpan.Zero || limit == Timeout.InfiniteTimeSpan)
        {
            lock (_gate)
            {
                _running = false;
                _bounded = false;
            }

            return caller;
        }

        lock (_gate)
        {
            if (_doomed || _source.IsCancellationRequested)
            {
                // The last call ran out of time or was cancelled by its caller. The old source is dropped, not
                // disposed: the timer's callback may be cancelling it right now, and a source without a timer or a
                // wait handle holds nothing that needs disposing.
                _source = new CancellationTokenSource();
                _doomed = false;
            }

            _limitTicks = _clock.TimestampsOf(limit);
            _startedAt = _clock.GetTimestamp();
            _running = true;
            _bounded = true;
            if (!_armed || _startedAt + _limitTicks < _timerDueAt)
            {
                // Idle, or armed for a longer limit than this call's (a transport whose Timeout was shortened).
                _armed = true;
                _timerDueAt = _startedAt + _limitTicks;
                _timer ??= _clock.CreateTimer(static state => ((ExchangeDeadline)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timer.Change(limit, Timeout.InfiniteTimeSpan);
            }
        }

        _callerLink = caller.CanBeCanceled
            ? caller.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), _source)
            : default;
        return _source.Token;
    }

    /// <summary>Whether the call under way ran out of time (rather than being cancelled by its caller).</summary>
    public bool HasExpired(CancellationToken caller) => _bounded && _source.IsCancellationRequested && !caller.IsCancellationRequested;

    /// <summary>Ends the call: unlinks the caller; the timer, if armed, goes idle when it next fires.</summary>
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
        lock (_gate)
        {
            _timer?.Dispose();
        }

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
                // A later call than the one the timer was armed for: wait for the rest of its limit.
                _timerDueAt = _clock.GetTimestamp() + left;
                _timer!.Change(_clock.GetElapsedTime(0, left), Timeout.InfiniteTimeSpan);
                return;
            }

            _armed = false;
            _doomed = true;
            expired = _source;
        }

        // Outside the lock: cancelling runs the token's callbacks (the transport's, the socket's), which may resume the
        // call inline, and that calls Stop.
        expired.Cancel();
    }
}

namespace CimHil.Instruments.Resilience;

/// <summary>
/// The bound on one whole exchange (a reply read, plus a reconnect and an error-queue read when a query is answered by
/// silence), on the session's clock. One cancellation source per session, re-armed for every exchange
/// (<see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> on a timer of the <see cref="TimeProvider"/>, disarmed
/// the same way when the exchange ends) instead of a source and a timer per exchange: the per-exchange timer was part
/// of what each query cost on a loopback link (issue 18, docs/instruments.md "Session overhead"). A source that fired
/// cannot be re-armed and is replaced, once, before the next exchange. Not
/// <see cref="CancellationTokenSource.TryReset"/>: on a timer of any clock but the system's it cannot tell whether the
/// timer fired and answers false (seen on .NET 10 with the tests' fake clock), which would cost a source per exchange on a test's fake clock and
/// leave its timer armed. Not thread-safe: the session's lock serialises exchanges.
/// </summary>
internal sealed class ExchangeDeadline : IDisposable
{
    private readonly TimeProvider _clock;
    private CancellationTokenSource _source;
    private CancellationTokenRegistration _callerLink;

    public ExchangeDeadline(TimeSpan limit, TimeProvider clock)
    {
        Limit = limit;
        _clock = clock;
        _source = NewSource();
    }

    /// <summary>How long one exchange may take; <see cref="Timeout.InfiniteTimeSpan"/> for no bound.</summary>
    public TimeSpan Limit { get; }

    /// <summary>Arms the deadline for one exchange; the token fires when it passes or when <paramref name="caller"/> is cancelled.</summary>
    public CancellationToken Start(CancellationToken caller)
    {
        if (_source.IsCancellationRequested)
        {
            // The last exchange ran out of time or was cancelled by its caller (or the timer fired just as it ended).
            _source.Dispose();
            _source = NewSource();
        }

        if (Limit != Timeout.InfiniteTimeSpan)
        {
            _source.CancelAfter(Limit);
        }

        _callerLink = caller.CanBeCanceled
            ? caller.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), _source)
            : default;
        return _source.Token;
    }

    /// <summary>Whether the exchange under way ran out of time (rather than being cancelled by its caller).</summary>
    public bool HasExpired(CancellationToken caller) => _source.IsCancellationRequested && !caller.IsCancellationRequested;

    /// <summary>Ends the exchange: unlinks the caller and disarms the timer (a source that fired is replaced by the next <see cref="Start"/>).</summary>
    public void Stop()
    {
        _callerLink.Dispose();
        _callerLink = default;
        if (!_source.IsCancellationRequested && Limit != Timeout.InfiniteTimeSpan)
        {
            _source.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _callerLink.Dispose();
        _source.Dispose();
    }

    /// <summary>A source whose timer is the clock's (the fake clock's in tests), armed only by <see cref="Start"/>.</summary>
    private CancellationTokenSource NewSource() => new(Timeout.InfiniteTimeSpan, _clock);
}

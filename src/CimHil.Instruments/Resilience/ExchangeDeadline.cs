namespace CimHil.Instruments.Resilience;

/// <summary>
/// The bound on one whole exchange (a reply read, plus a reconnect and an error-queue read when a query is answered by
/// silence), on the session's clock. One cancellation source per session, re-armed for every exchange
/// (<see cref="CancellationTokenSource.TryReset"/>, then <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> on
/// a timer of the <see cref="TimeProvider"/>) instead of a source and a timer per exchange: the per-exchange timer was
/// part of what each query cost on a loopback link (issue 18, docs/instruments.md "Session overhead"). A source that
/// fired cannot be reset and is replaced, once, before the next exchange. Not thread-safe: the session's lock
/// serialises exchanges.
/// </summary>
internal sealed class ExchangeDeadline : IDisposable
{
    private readonly TimeProvider _clock;
    private CancellationTokenSource _source;
    private CancellationTokenRegistration _callerLink;
    private bool _spent;

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
        if (_spent)
        {
            _source.Dispose();
            _source = NewSource();
            _spent = false;
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

    /// <summary>Ends the exchange: unlinks the caller and disarms the timer, or marks the source for replacement if it fired.</summary>
    public void Stop()
    {
        _callerLink.Dispose();
        _callerLink = default;
        _spent = !_source.TryReset();
    }

    public void Dispose()
    {
        _callerLink.Dispose();
        _source.Dispose();
    }

    /// <summary>A source whose timer is the clock's (the fake clock's in tests), armed only by <see cref="Start"/>.</summary>
    private CancellationTokenSource NewSource() => new(Timeout.InfiniteTimeSpan, _clock);
}

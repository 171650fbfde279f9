using Serilog;

namespace CimHil.Instruments.Resilience;

/// <summary>
/// Stops a session from hammering an instrument that keeps failing: it opens when at least
/// <c>minimumThroughput</c> exchanges in the sampling window were counted and <c>failureRatio</c> of them failed, then
/// refuses every exchange for the break duration without touching the instrument, and then lets one trial through
/// (half-open): a success closes it, a failure opens it again. The semantics of Polly 8's advanced circuit breaker,
/// which sessions used until issue 18 (its per-query cost on a loopback link, docs/instruments.md "Session overhead"):
/// only failures and successes count — an exchange that ends otherwise (the instrument rejected the command, the caller
/// cancelled) counts as neither. Thread-safe; one per session unless sessions are meant to share it.
/// </summary>
public sealed class CircuitBreaker
{
    private readonly Lock _gate = new();
    private readonly FailureRatioWindow _window;
    private readonly TimeProvider _clock;
    private readonly string _resource;
    private readonly ILogger _logger;
    private CircuitState _state = CircuitState.Closed;
    private long _blockedUntil;
    private Exception? _breakingFailure;

    public CircuitBreaker(double failureRatio, int minimumThroughput, TimeSpan samplingDuration, TimeSpan breakDuration, TimeProvider clock, string resource, ILogger logger)
    {
        if (!(failureRatio is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(failureRatio), failureRatio, "the failure ratio must lie in (0, 1]");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(minimumThroughput, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(breakDuration, TimeSpan.Zero);
        FailureRatio = failureRatio;
        MinimumThroughput = minimumThroughput;
        SamplingDuration = samplingDuration;
        BreakDuration = breakDuration;
        _clock = clock;
        _resource = resource;
        _logger = logger;
        _window = new FailureRatioWindow(samplingDuration, clock);
    }

    public double FailureRatio { get; }

    public int MinimumThroughput { get; }

    public TimeSpan SamplingDuration { get; }

    public TimeSpan BreakDuration { get; }

    public CircuitState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// Asks to send one exchange. False while open, or half-open with the trial still under way: then
    /// <paramref name="retryAfter"/> says how long the break has left and <paramref name="cause"/> is the failure that
    /// opened it. Once the break has elapsed the first caller gets the trial (and the break starts again for the rest).
    /// </summary>
    public bool TryEnter(out TimeSpan retryAfter, out Exception? cause)
    {
        lock (_gate)
        {
            retryAfter = TimeSpan.Zero;
            cause = null;
            if (_state == CircuitState.Closed)
            {
                return true;
            }

            var now = _clock.GetTimestamp();
            if (now >= _blockedUntil)
            {
                // Also from half-open: a trial that ended as neither success nor failure (the instrument rejected the
                // command, the caller cancelled) must not leave the breaker refusing for ever; Polly's left it half-open.
                _state = CircuitState.HalfOpen;
                _blockedUntil = now + _clock.TimestampsOf(BreakDuration);
                return true;
            }

            retryAfter = _clock.GetElapsedTime(now, _blockedUntil);
            cause = _breakingFailure;
            return false;
        }
    }

    /// <summary>An exchange succeeded: counted, and a half-open breaker closes.</summary>
    public void OnSuccess()
    {
        bool closed;
        lock (_gate)
        {
            _window.AddSuccess();
            closed = _state == CircuitState.HalfOpen;
            if (closed)
            {
                _state = CircuitState.Closed;
                _breakingFailure = null;
                _window.Reset();
            }
        }

        if (closed)
        {
            _logger.Information("Circuit breaker closed for {Resource}", _resource);
        }
    }

    /// <summary>An exchange failed on the link: counted; the breaker opens at the threshold, or again after a failed trial.</summary>
    public void OnFailure(Exception failure)
    {
        bool opened;
        lock (_gate)
        {
            // A failed trial re-opens the breaker without being counted (as in Polly); a failure of an exchange that
            // began before the breaker opened is counted and does not extend the break.
            if (_state != CircuitState.HalfOpen)
            {
                _window.AddFailure();
            }

            opened = _state switch
            {
                CircuitState.HalfOpen => true,
                CircuitState.Closed => _window.Throughput >= MinimumThroughput && _window.FailureRatio >= FailureRatio,
                _ => false,
            };
            if (opened)
            {
                _state = CircuitState.Open;
                _blockedUntil = _clock.GetTimestamp() + _clock.TimestampsOf(BreakDuration);
                _breakingFailure = failure;
            }
        }

        if (opened)
        {
            _logger.Warning("Circuit breaker opened for {Resource} for {BreakSeconds} s after {Error}", _resource, BreakDuration.TotalSeconds, failure.Message);
        }
    }
}

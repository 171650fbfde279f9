using CimHil.Core.Config;
using Serilog;

namespace CimHil.Instruments.Resilience;

/// <summary>
/// The resilience of one instrument session, from hil-config.json's <c>transport</c> section: a retry of idempotent
/// exchanges (exponential back-off with jitter, <see cref="RetryBackoff"/>), a <see cref="CircuitBreaker"/> that every
/// attempt passes, and a deadline on each attempt (<see cref="OperationTimeout"/>) — in that order, as the Polly 8
/// pipeline (retry → breaker → timeout) they replace. <see cref="Scpi.ScpiSession"/> runs them in its own exchange
/// frame rather than through a pipeline: each Polly strategy cost 10–20% of a loopback round trip (issue 18,
/// docs/instruments.md "Session overhead"). Built once per session; the breaker may be shared by handing the same
/// instance to several sessions.
/// </summary>
public sealed class InstrumentResilience
{
    /// <summary>Longest sampling window (Polly's bound, kept).</summary>
    private static readonly TimeSpan MaxSamplingDuration = TimeSpan.FromDays(1);

    public InstrumentResilience(int retries, TimeSpan retryBaseDelay, TimeSpan retryMaxDelay, CircuitBreaker breaker, TimeSpan operationTimeout, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        ArgumentOutOfRangeException.ThrowIfLessThan(retryBaseDelay, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(breaker);
        ArgumentNullException.ThrowIfNull(clock);
        if (operationTimeout <= TimeSpan.Zero && operationTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(operationTimeout), operationTimeout, "the operation timeout must be positive (or infinite)");
        }

        Retries = retries;
        RetryBaseDelay = retryBaseDelay;
        RetryMaxDelay = retryMaxDelay > retryBaseDelay ? retryMaxDelay : retryBaseDelay;
        Breaker = breaker;
        OperationTimeout = operationTimeout;
        Clock = clock;
    }

    /// <summary>How often an idempotent exchange is repeated after a link failure (so at most 1 + Retries attempts).</summary>
    public int Retries { get; }

    public TimeSpan RetryBaseDelay { get; }

    /// <summary>The cap on one back-off (never below the base delay).</summary>
    public TimeSpan RetryMaxDelay { get; }

    public CircuitBreaker Breaker { get; }

    /// <summary>The bound on one attempt: 2 × timeoutSeconds + connectTimeoutSeconds from the configuration.</summary>
    public TimeSpan OperationTimeout { get; }

    /// <summary>The clock of the deadline, the back-off and the breaker (the transport's own per-read bound is real time).</summary>
    public TimeProvider Clock { get; }

    /// <summary>Draws the back-off jitter, uniform in [0, 1); tests fix it.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>Builds a session's resilience from hil-config.json's <c>transport</c> section.</summary>
    public static InstrumentResilience Build(TransportConfig config, string resource, ILogger logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var clock = timeProvider ?? TimeProvider.System;

        // One exchange = a reply read (bounded by the transport at TimeoutSeconds) plus, when a query is answered by
        // silence, a reconnect and an error-queue read: so the whole exchange gets 2 × timeout + connect timeout.
        var operationTimeout = TimeSpan.FromSeconds((2 * config.TimeoutSeconds) + config.ConnectTimeoutSeconds);
        var breaker = new CircuitBreaker(
            config.BreakerFailureRatio,
            config.BreakerMinimumThroughput,
            BreakerSampling(config, operationTimeout),
            TimeSpan.FromSeconds(config.BreakerBreakSeconds),
            clock,
            resource,
            logger);
        return new InstrumentResilience(
            config.Retries,
            TimeSpan.FromSeconds(config.RetryBaseDelaySeconds),
            TimeSpan.FromSeconds(config.RetryMaxDelaySeconds),
            breaker,
            operationTimeout,
            clock);
    }

    /// <summary>The breaker's sampling window as built: the configured one, stretched to hold minimumThroughput hung exchanges.</summary>
    public TimeSpan BreakerSamplingDuration => Breaker.SamplingDuration;

    /// <summary>
    /// Failures worth retrying (idempotent exchanges) and counting against the breaker: the link's — dropped, garbled,
    /// timed out (the transport's read bound and the exchange deadline both end as <see cref="InstrumentTimeoutException"/>)
    /// — never the instrument's answer (<see cref="Scpi.ScpiErrorException"/>) or a caller's cancellation.
    /// </summary>
    public static bool IsTransient(Exception? exception) => exception is InstrumentIOException;

    /// <summary>
    /// The breaker opens when failureRatio of at least minimumThroughput calls in the sampling window fail. A hung
    /// instrument fails one attempt per operation timeout (plus a retry back-off), so the shipped window (10 s) against
    /// a 9 s operation timeout never held more than two failures and the breaker (minimumThroughput 8) never opened.
    /// The window is therefore at least minimumThroughput × (operation timeout + longest back-off): minimumThroughput
    /// consecutive timeouts always fall in one window and open it.
    /// </summary>
    public static TimeSpan BreakerSampling(TransportConfig config, TimeSpan operationTimeout)
    {
        ArgumentNullException.ThrowIfNull(config);
        var longestBackoff = TimeSpan.FromSeconds(Math.Max(config.RetryMaxDelaySeconds, config.RetryBaseDelaySeconds));
        var hung = (operationTimeout + longestBackoff) * config.BreakerMinimumThroughput;
        var configured = TimeSpan.FromSeconds(config.BreakerSamplingSeconds);
        return TimeSpan.FromTicks(Math.Min(Math.Max(configured.Ticks, hung.Ticks), MaxSamplingDuration.Ticks));
    }

    /// <summary>The pause before retry <paramref name="attempt"/> + 1; <paramref name="previous"/> is the exchange's back-off state (start at 0).</summary>
    public TimeSpan RetryDelay(int attempt, ref double previous) =>
        RetryBackoff.Delay(attempt, RetryBaseDelay, RetryMaxDelay, ref previous, Jitter());
}

using CimHil.Core.Config;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Serilog;

namespace CimHil.Instruments.Resilience;

/// <summary>
/// The resilience of one instrument session as one flat pipeline: retry (exponential backoff, jitter) → circuit breaker
/// → per-operation timeout. The retry acts only on exchanges whose context carries <see cref="IdempotentKey"/> = true
/// (queries that can be repeated without effect); for every other exchange (programming pulses) it passes the outcome
/// through untouched, so those see breaker → timeout only. One pipeline instead of a retry pipeline wrapping a
/// breaker/timeout pipeline: the nesting cost a composite layer per query (issue 18's benchmark), and the breaker is
/// shared by construction rather than by reference.
/// </summary>
public sealed record InstrumentPipelines(ResiliencePipeline Pipeline, TimeSpan OperationTimeout)
{
    /// <summary>Set to true on an exchange's <see cref="ResilienceContext"/> to let the retry repeat it; absent means never retried.</summary>
    public static readonly ResiliencePropertyKey<bool> IdempotentKey = new("CimHil.Idempotent");

    /// <summary>Polly's bounds on a breaker's sampling duration.</summary>
    private static readonly TimeSpan MaxSamplingDuration = TimeSpan.FromDays(1);

    /// <summary>The breaker's sampling window as built: the configured one, stretched to hold minimumThroughput hung exchanges.</summary>
    public TimeSpan BreakerSamplingDuration { get; init; }

    /// <summary>Builds the pipelines from hil-config.json's <c>transport</c> section (built once per session, then reused).</summary>
    public static InstrumentPipelines Build(TransportConfig config, string resource, ILogger logger, TimeProvider? timeProvider = null)
    {
        // One exchange = a reply read (bounded by the transport at TimeoutSeconds) plus, when a query is answered by
        // silence, a reconnect and an error-queue read: so the whole exchange gets 2 × timeout + connect timeout.
        var operationTimeout = TimeSpan.FromSeconds((2 * config.TimeoutSeconds) + config.ConnectTimeoutSeconds);
        var sampling = BreakerSampling(config, operationTimeout);
        var builder = new ResiliencePipelineBuilder
        {
            Name = resource,
            TimeProvider = timeProvider,
        };
        if (config.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = config.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(config.RetryBaseDelaySeconds),
                MaxDelay = TimeSpan.FromSeconds(Math.Max(config.RetryMaxDelaySeconds, config.RetryBaseDelaySeconds)),
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(IdempotentKey, false) && IsTransient(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    logger.Debug("Retrying {Resource} (attempt {Attempt}) in {DelayMs} ms after {Error}", resource, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            });
        }

        var pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = config.BreakerFailureRatio,
                MinimumThroughput = config.BreakerMinimumThroughput,
                SamplingDuration = sampling,
                BreakDuration = TimeSpan.FromSeconds(config.BreakerBreakSeconds),
                ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception)),
                OnOpened = args =>
                {
                    logger.Warning("Circuit breaker opened for {Resource} for {BreakSeconds} s after {Error}", resource, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    logger.Information("Circuit breaker closed for {Resource}", resource);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = operationTimeout })
            .Build();

        return new InstrumentPipelines(pipeline, operationTimeout) { BreakerSamplingDuration = sampling };
    }

    /// <summary>Failures worth retrying (idempotent exchanges) and counting against the breaker: the link, not the instrument's answer.</summary>
    public static bool IsTransient(Exception? exception) => exception is InstrumentIOException or TimeoutRejectedException;

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
}

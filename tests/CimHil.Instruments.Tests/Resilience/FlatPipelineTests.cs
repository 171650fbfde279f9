using CimHil.Core.Config;
using CimHil.Instruments.Resilience;
using CimHil.Instruments.Tests.Support;
using Polly;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>
/// The session's one flat pipeline (issue 18, third round): its retry repeats an exchange only when the context says
/// the exchange is idempotent, so a caller that forgets the flag gets "never retried", the safe side for a pulse.
/// </summary>
public sealed class FlatPipelineTests
{
    private static readonly TransportConfig NoBackoff = TransportConfig.Default with
    {
        Retries = 3,
        RetryBaseDelaySeconds = 0,
        RetryMaxDelaySeconds = 0,
    };

    [Theory]
    [InlineData(true, 4)]
    [InlineData(false, 1)]
    public async Task LinkFailure_IsRepeatedOnlyWhenTheContextSaysIdempotent(bool idempotent, int expectedAttempts)
    {
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        context.Properties.Set(InstrumentPipelines.IdempotentKey, idempotent);

        Assert.Equal(expectedAttempts, await AttemptsAsync<InstrumentIOException>(context, () => new InstrumentIOException("X", "X: link dropped")));
    }

    [Fact]
    public async Task ContextWithoutTheFlag_IsNeverRetried()
    {
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);

        Assert.Equal(1, await AttemptsAsync<InstrumentIOException>(context, () => new InstrumentIOException("X", "X: link dropped")));
    }

    [Fact]
    public async Task NonTransientFailure_IsNeverRetried_EvenWhenIdempotent()
    {
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        context.Properties.Set(InstrumentPipelines.IdempotentKey, true);

        // Only the link's failures are transient; anything else (a rejected command, a bug) is final.
        Assert.Equal(1, await AttemptsAsync<InvalidOperationException>(context, () => new InvalidOperationException("-222,\"Data out of range\"")));
    }

    /// <summary>Runs an exchange that always fails with <paramref name="failure"/> through a fresh pipeline; returns how often it ran.</summary>
    private static async Task<int> AttemptsAsync<TException>(ResilienceContext context, Func<TException> failure)
        where TException : Exception
    {
        var pipeline = InstrumentPipelines.Build(NoBackoff, "X", BoardFixture.Logger).Pipeline;
        var attempts = 0;
        await Assert.ThrowsAsync<TException>(async () => await pipeline.ExecuteAsync<int>(
            _ =>
            {
                attempts++;
                throw failure();
            },
            context));
        ResilienceContextPool.Shared.Return(context);
        return attempts;
    }
}

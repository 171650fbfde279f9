using CimHil.Core.Config;
using CimHil.Instruments.Resilience;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>
/// The session repeats an exchange after a link failure only when the exchange is idempotent, re-opening the link before
/// each new attempt; a pulse, a query with a side effect and a bare write go out once. (Until issue 18 these were Polly
/// pipeline tests on the "idempotent" flag of a context; the session now decides in its own exchange frame.)
/// </summary>
public sealed class IdempotentRetryTests
{
    private static readonly TransportConfig NoBackoff = BoardFixture.FastConfig with
    {
        Retries = 3,
        RetryBaseDelaySeconds = 0,
        RetryMaxDelaySeconds = 0,
    };

    [Theory]
    [InlineData("query", 4)]
    [InlineData("setting", 4)]
    [InlineData("block query", 4)]
    [InlineData("pulse", 1)]
    [InlineData("query with a side effect", 1)]
    [InlineData("write", 1)]
    public async Task LinkFailure_IsRepeatedOnlyForIdempotentExchanges_AfterAReconnect(string exchange, int expectedAttempts)
    {
        var link = new FailingTransport(() => new InstrumentIOException("FAILING::INSTR", "FAILING::INSTR: link dropped"));
        await using var session = new ScpiSession(link, NoBackoff, BoardFixture.Logger);

        var ex = await Assert.ThrowsAnyAsync<InstrumentException>(() => Run(session, exchange));

        Assert.Equal(expectedAttempts, link.Writes);
        Assert.Equal(expectedAttempts - 1, link.Opens); // every attempt after the first starts on a fresh link
        if (expectedAttempts == 1)
        {
            // It may have left: the caller is told to read back, never to re-send blind.
            Assert.IsType<UncertainOutcomeException>(ex);
        }
        else
        {
            Assert.IsType<InstrumentIOException>(ex);
        }
    }

    [Fact]
    public async Task NonTransientFailure_IsNeverRetried_EvenWhenIdempotent()
    {
        // Only the link's failures are transient; anything else (a bug, a rejected argument) is final and surfaces as it was.
        var bug = new InvalidOperationException("-222,\"Data out of range\"");
        var link = new FailingTransport(() => bug);
        await using var session = new ScpiSession(link, NoBackoff, BoardFixture.Logger);

        Assert.Same(bug, await Assert.ThrowsAsync<InvalidOperationException>(() => session.QueryAsync("*IDN?", CancellationToken.None)));
        Assert.Equal(1, link.Writes);
    }

    [Fact]
    public async Task Retry_WaitsTheJitteredBackoffOnTheSessionsClock()
    {
        var clock = new ManualTimeProvider();
        var config = NoBackoff with { Retries = 1, RetryBaseDelaySeconds = 1, RetryMaxDelaySeconds = 10 };
        var link = new FailingTransport(() => new InstrumentIOException("FAILING::INSTR", "FAILING::INSTR: link dropped"));
        var resilience = InstrumentResilience.Build(config, link.Resource, BoardFixture.Logger, clock);
        resilience = new InstrumentResilience(resilience.Retries, resilience.RetryBaseDelay, resilience.RetryMaxDelay, resilience.Breaker, resilience.OperationTimeout, clock)
        {
            Jitter = () => 0.5,
        };
        await using var session = new ScpiSession(link, resilience, BoardFixture.Logger);
        var previous = 0.0;
        var backoff = RetryBackoff.Delay(0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), ref previous, 0.5);
        Assert.Equal(0.897, backoff.TotalSeconds, 3); // 2^0.5 · tanh(√2) / 1.4 s

        var query = session.QueryAsync("*IDN?", CancellationToken.None);
        Assert.Equal(1, link.Writes);
        // Task.Delay on a TimeProvider counts whole milliseconds: the retry is due at 897 ms, not 897.4.
        var due = TimeSpan.FromMilliseconds(Math.Floor(backoff.TotalMilliseconds));
        clock.Advance(due - TimeSpan.FromTicks(1));
        await Task.Delay(50);
        Assert.Equal(1, link.Writes);

        clock.Advance(TimeSpan.FromTicks(1));
        await Assert.ThrowsAsync<InstrumentIOException>(() => query.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, link.Writes);
    }

    private static Task Run(ScpiSession session, string exchange) => exchange switch
    {
        "query" => session.QueryAsync("*IDN?", CancellationToken.None),
        "setting" => session.ExecuteAsync("FORM REAL,64", CancellationToken.None),
        "block query" => session.QueryBlockAsync("ROW:READ? 1,0.2", CancellationToken.None),
        "pulse" => session.ExecuteNonIdempotentAsync("CELL:PROG 1,1,SET,1.0,1e-6", CancellationToken.None),
        "query with a side effect" => session.QueryNonIdempotentAsync("CELL:FORM? 1,1,2.5,1e-4", CancellationToken.None),
        "write" => session.WriteAsync("*CLS", CancellationToken.None),
        _ => throw new ArgumentOutOfRangeException(nameof(exchange), exchange, "no such exchange"),
    };
}

using CimHil.Instruments.Resilience;

namespace CimHil.Instruments.Tests.Resilience;

/// <summary>The jittered exponential back-off (Polly's decorrelated jitter, kept when Polly left): its bounds, cap and medians.</summary>
public sealed class RetryBackoffTests
{
    private const int Exchanges = 10_000;
    private const int Attempts = 8;

    [Fact]
    public void EveryDelay_LiesBetweenZeroAndTheFormulasBound_AndNeverAboveTheCap()
    {
        var baseDelay = TimeSpan.FromSeconds(0.05); // the shipped retryBaseDelaySeconds and retryMaxDelaySeconds
        var cap = TimeSpan.FromSeconds(1);
        var delays = Draw(baseDelay, cap, seed: 18);

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var bound = TimeSpan.FromTicks(Math.Min(RetryBackoff.UpperBound(attempt, baseDelay).Ticks, cap.Ticks));
            Assert.All(delays[attempt], d => Assert.InRange(d, TimeSpan.Zero, bound));
        }

        // From the seventh retry the uncapped median (≈ 1.6 s) is past the cap, so most draws sit on it.
        Assert.True(delays[7].Count(d => d == cap) > Exchanges / 2);
    }

    [Fact]
    public void Medians_DoubleFromTheThirdRetry_AndDrawsSpread()
    {
        var delays = Draw(TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), seed: 18);

        for (var attempt = 2; attempt < Attempts; attempt++)
        {
            var sorted = delays[attempt].Select(d => d.TotalSeconds).Order().ToArray();
            var expected = Math.Pow(2, attempt - 1);

            // The 10–90% range of a draw spans ≈ 1.25 × expected, so the density at the median is ≈ 0.64 / expected and
            // the sample median's standard error 1 / (2 · density · √N) ≈ 0.8% of expected at N = 10,000: ±4% is 5 of them.
            Assert.InRange(sorted[Exchanges / 2], 0.96 * expected, 1.04 * expected);

            // Jitter, not a schedule: the slowest tenth waits at least three times as long as the quickest tenth.
            Assert.True(sorted[9 * Exchanges / 10] > 3 * sorted[Exchanges / 10], $"retry {attempt + 1}: draws do not spread");
        }
    }

    [Fact]
    public void Delay_IsZeroWithoutABaseDelay_AndTheCapNeverFallsBelowTheBase()
    {
        var previous = 0.0;
        Assert.Equal(TimeSpan.Zero, RetryBackoff.Delay(3, TimeSpan.Zero, TimeSpan.FromSeconds(1), ref previous, 0.5));

        // A cap under the base is lifted to the base (retryMaxDelaySeconds below retryBaseDelaySeconds).
        previous = 0.0;
        Assert.Equal(TimeSpan.FromSeconds(0.5), RetryBackoff.Delay(5, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(0.1), ref previous, 0.99));
    }

    /// <summary>Delays of <see cref="Attempts"/> retries for each of <see cref="Exchanges"/> exchanges, by attempt.</summary>
    private static List<TimeSpan>[] Draw(TimeSpan baseDelay, TimeSpan cap, int seed)
    {
        var random = new Random(seed);
        var delays = Enumerable.Range(0, Attempts).Select(_ => new List<TimeSpan>(Exchanges)).ToArray();
        for (var exchange = 0; exchange < Exchanges; exchange++)
        {
            var previous = 0.0;
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                delays[attempt].Add(RetryBackoff.Delay(attempt, baseDelay, cap, ref previous, random.NextDouble()));
            }
        }

        return delays;
    }
}

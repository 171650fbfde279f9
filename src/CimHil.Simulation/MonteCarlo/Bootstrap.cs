using CimHil.Core.Devices;
using CimHil.Core.Numerics;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.MonteCarlo;

/// <summary>Order statistics and percentile-bootstrap confidence intervals over per-chip accuracies.</summary>
public static class Bootstrap
{
    /// <summary>
    /// Percentile-bootstrap interval (Efron &amp; Tibshirani, "An Introduction to the Bootstrap", 1993, §13.3) of
    /// <paramref name="statistic"/>: resample with replacement <paramref name="resamples"/> times (seeded, deterministic),
    /// take the (1 − level)/2 and (1 + level)/2 quantiles of the replicated statistic.
    /// </summary>
    public static Interval Interval(IReadOnlyList<double> values, Func<double[], double> statistic, int resamples, double level, long seed)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(statistic);
        if (values.Count == 0)
        {
            throw new ArgumentException("Bootstrap of an empty sample.", nameof(values));
        }

        if (resamples < 10 || !(level > 0 && level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(resamples), $"bootstrap needs ≥ 10 resamples (got {resamples}) and a level in (0, 1) (got {level})");
        }

        var rng = new SimulationRng(SimulationRng.Derive(seed, 0x5eed));
        var n = values.Count;
        var sample = new double[n];
        var reps = new double[resamples];
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < n; i++)
            {
                sample[i] = values[(int)(rng.NextDouble() * n)];
            }

            reps[b] = statistic(sample);
        }

        Array.Sort(reps);
        return new Interval(OrderStatistics.Percentile(reps, 100 * (1 - level) / 2), OrderStatistics.Percentile(reps, 100 * (1 + level) / 2));
    }

    /// <summary>Statistic: the p-th percentile of an unsorted sample (sorts it in place).</summary>
    public static Func<double[], double> PercentileStatistic(double p) => s =>
    {
        Array.Sort(s);
        return OrderStatistics.Percentile(s, p);
    };

    /// <summary>Statistic: the mean.</summary>
    public static double Mean(double[] s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Average();
    }
}

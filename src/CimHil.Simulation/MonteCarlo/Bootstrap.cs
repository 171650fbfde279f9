using CimHil.Core.Devices;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.MonteCarlo;

/// <summary>Order statistics and percentile-bootstrap confidence intervals over per-chip accuracies.</summary>
public static class Bootstrap
{
    /// <summary>
    /// The p-th percentile (p in [0, 100]) of <paramref name="sorted"/> (ascending) by linear interpolation between order
    /// statistics at rank (n − 1)·p/100 — Hyndman &amp; Fan (1996) definition 7, numpy's default.
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("Percentile of an empty sample.", nameof(sorted));
        }

        if (!(p >= 0 && p <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"percentile {p} must lie in [0, 100]");
        }

        var h = (sorted.Length - 1) * p / 100.0;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }

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
        return new Interval(Percentile(reps, 100 * (1 - level) / 2), Percentile(reps, 100 * (1 + level) / 2));
    }

    /// <summary>Statistic: the p-th percentile of an unsorted sample (sorts it in place).</summary>
    public static Func<double[], double> PercentileStatistic(double p) => s =>
    {
        Array.Sort(s);
        return Percentile(s, p);
    };

    /// <summary>Statistic: the mean.</summary>
    public static double Mean(double[] s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.Average();
    }
}

using MathNet.Numerics.Distributions;

namespace CimHil.Workflows;

/// <summary>
/// Statistics across training seeds. The interval of a mean over n seeds is the Student-t interval
/// mean ± t(0.975, n − 1)·s/√n, and a method's difference from standard training is judged by the paired t-test on the
/// per-seed differences (Student 1908; any statistics text, e.g. Montgomery &amp; Runger, Applied Statistics and
/// Probability for Engineers, §9-3 and §10-4). Both assume the per-seed values are roughly normal; with n = 3
/// (2 degrees of freedom, t = 4.30) only differences several times their seed-to-seed spread reach p &lt; 0.05, and a
/// failed test says "not shown with these seeds", never "no effect".
/// </summary>
public static class SeedStatistics
{
    /// <summary>The interval's confidence level.</summary>
    public const double Confidence = 0.95;

    /// <summary>The two-sided significance level of the paired test.</summary>
    public const double Alpha = 0.05;

    /// <summary>Mean, sample standard deviation and Student-t 95 % interval of <paramref name="values"/> (one per seed).</summary>
    public static SeedInterval Interval(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfZero(values.Count);
        var n = values.Count;
        var mean = values.Average();
        if (n < 2)
        {
            return new SeedInterval(n, mean, double.NaN, double.NaN, double.NaN);
        }

        var sd = StandardDeviation(values, mean);
        var half = StudentT.InvCDF(0, 1, n - 1, 1 - ((1 - Confidence) / 2)) * sd / Math.Sqrt(n);
        return new SeedInterval(n, mean, sd, mean - half, mean + half);
    }

    /// <summary>The paired t-test of <paramref name="values"/> against <paramref name="baseline"/>, element i of both from seed i.</summary>
    public static PairedComparison Paired(IReadOnlyList<double> values, IReadOnlyList<double> baseline)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(baseline);
        if (values.Count != baseline.Count || values.Count == 0)
        {
            throw new ArgumentException($"a paired test needs the same seeds on both sides; found {values.Count} and {baseline.Count} values");
        }

        var n = values.Count;
        var d = values.Select((v, i) => v - baseline[i]).ToArray();
        var mean = d.Average();
        var sd = n > 1 ? StandardDeviation(d, mean) : double.NaN;

        // Equal differences (sd = 0, up to the rounding of subtracting accuracies) give no t: the test has no spread to
        // judge the mean difference against.
        if (!(sd > 1e-12 * Math.Max(1, Math.Abs(mean))))
        {
            return new PairedComparison(n, mean, double.NaN, double.NaN, false);
        }

        var t = mean / (sd / Math.Sqrt(n));
        var p = 2 * StudentT.CDF(0, 1, n - 1, -Math.Abs(t));
        return new PairedComparison(n, mean, t, p, p < Alpha);
    }

    private static double StandardDeviation(IReadOnlyList<double> values, double mean) =>
        Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
}

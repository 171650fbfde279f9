using CimHil.Core.Devices;
using CimHil.Core.Numerics;

namespace CimHil.Calibration;

/// <summary>The small statistics calibration needs: moments, KS test, unit-variance families, weighted polynomial fits, bootstrap.</summary>
public static class Stats
{
    public static double Mean(IReadOnlyList<double> x)
    {
        var s = 0.0;
        foreach (var v in x)
        {
            s += v;
        }

        return x.Count == 0 ? double.NaN : s / x.Count;
    }

    /// <summary>Unbiased sample variance (n − 1).</summary>
    public static double Variance(IReadOnlyList<double> x)
    {
        if (x.Count < 2)
        {
            return double.NaN;
        }

        var m = Mean(x);
        var s = 0.0;
        foreach (var v in x)
        {
            s += (v - m) * (v - m);
        }

        return s / (x.Count - 1);
    }

    public static double Median(IEnumerable<double> x)
    {
        var a = x.Where(double.IsFinite).Order().ToArray();
        return a.Length == 0 ? double.NaN : OrderStatistics.Median(a);
    }

    /// <summary>CDF of a unit-variance, zero-mean member of the family.</summary>
    public static double Cdf(ErrorDistribution family, double z) => family switch
    {
        // Laplace with variance 1: scale b = 1/√2. Logistic with variance 1: scale s = √3/π.
        ErrorDistribution.Laplace => z < 0 ? 0.5 * Math.Exp(z * Math.Sqrt(2)) : 1 - (0.5 * Math.Exp(-z * Math.Sqrt(2))),
        ErrorDistribution.Logistic => 1 / (1 + Math.Exp(-z * Math.PI / Math.Sqrt(3))),
        _ => MathNet.Numerics.Distributions.Normal.CDF(0, 1, z),
    };

    /// <summary>
    /// One-sample Kolmogorov–Smirnov test of standardised values against a unit-variance family. The p-value uses the
    /// asymptotic Kolmogorov distribution with Stephens' small-sample correction (Numerical Recipes 3rd ed., §14.3.3);
    /// location and scale were estimated from the same data, so it is optimistic (Lilliefors 1967) — use it to rank fits.
    /// </summary>
    public static GoodnessOfFit KolmogorovSmirnov(IReadOnlyList<double> standardised, ErrorDistribution family)
    {
        var a = standardised.Where(double.IsFinite).Order().ToArray();
        var n = a.Length;
        if (n == 0)
        {
            return new GoodnessOfFit("kolmogorov-smirnov", double.NaN, double.NaN, 0);
        }

        var d = 0.0;
        for (var i = 0; i < n; i++)
        {
            var f = Cdf(family, a[i]);
            d = Math.Max(d, Math.Max(f - ((double)i / n), ((double)(i + 1) / n) - f));
        }

        var sn = Math.Sqrt(n);
        return new GoodnessOfFit("kolmogorov-smirnov", d, KolmogorovQ((sn + 0.12 + (0.11 / sn)) * d), n);
    }

    /// <summary>One-sample Kolmogorov–Smirnov test of raw values against a fitted CDF (p-value as above: a ranking figure).</summary>
    public static GoodnessOfFit KolmogorovSmirnov(IReadOnlyList<double> values, Func<double, double> cdf)
    {
        ArgumentNullException.ThrowIfNull(cdf);
        var a = values.Where(double.IsFinite).Order().ToArray();
        var n = a.Length;
        if (n == 0)
        {
            return new GoodnessOfFit("kolmogorov-smirnov", double.NaN, double.NaN, 0);
        }

        var d = 0.0;
        for (var i = 0; i < n; i++)
        {
            var f = cdf(a[i]);
            d = Math.Max(d, Math.Max(f - ((double)i / n), ((double)(i + 1) / n) - f));
        }

        var sn = Math.Sqrt(n);
        return new GoodnessOfFit("kolmogorov-smirnov", d, KolmogorovQ((sn + 0.12 + (0.11 / sn)) * d), n);
    }

    /// <summary>
    /// Wilson score 95 % interval of a proportion k/n (Wilson, JASA 22, 1927): unlike the normal approximation it stays
    /// inside [0, 1] and is not empty at k = 0, which is the common case for verify failures.
    /// </summary>
    public static Interval? Wilson95(int k, int n)
    {
        if (n <= 0)
        {
            return null;
        }

        const double z = 1.959963984540054;
        var p = (double)k / n;
        var denominator = 1 + (z * z / n);
        var centre = (p + (z * z / (2 * n))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / n) + (z * z / (4.0 * n * n))) / denominator;
        // At k = 0 (k = n) the lower (upper) end is exactly 0 (1); rounding would leave it a hair inside.
        return new Interval(k == 0 ? 0 : Math.Max(0, centre - half), k == n ? 1 : Math.Min(1, centre + half));
    }

    /// <summary>Q_KS(λ) = 2 Σ (−1)^(k−1) exp(−2k²λ²).</summary>
    public static double KolmogorovQ(double lambda)
    {
        if (lambda < 0.2)
        {
            return 1.0;
        }

        var sum = 0.0;
        for (var k = 1; k <= 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += (k % 2 == 1 ? 1 : -1) * term;
            if (term < 1e-12)
            {
                break;
            }
        }

        return Math.Clamp(2 * sum, 0, 1);
    }

    /// <summary>The family whose KS statistic on the standardised values is smallest, with its fit.</summary>
    public static (ErrorDistribution Family, GoodnessOfFit Fit) BestFamily(IReadOnlyList<double> standardised)
    {
        var best = (Family: ErrorDistribution.Normal, Fit: KolmogorovSmirnov(standardised, ErrorDistribution.Normal));
        foreach (var f in new[] { ErrorDistribution.Laplace, ErrorDistribution.Logistic })
        {
            var fit = KolmogorovSmirnov(standardised, f);
            if (fit.Statistic < best.Fit.Statistic)
            {
                best = (f, fit);
            }
        }

        return best;
    }

    /// <summary>Weighted least-squares polynomial, ascending coefficients; the degree is lowered to what the points allow.</summary>
    public static double[] PolynomialFit(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> w, int degree)
    {
        var n = x.Count;
        var p = Math.Max(0, Math.Min(degree, n - 1)) + 1;
        if (n == 0)
        {
            return [0];
        }

        // Normal equations (p ≤ 3 here, x in [0, 1]): small and well conditioned enough.
        var a = new double[p, p];
        var b = new double[p];
        for (var i = 0; i < n; i++)
        {
            var powers = new double[p];
            powers[0] = 1;
            for (var k = 1; k < p; k++)
            {
                powers[k] = powers[k - 1] * x[i];
            }

            for (var r = 0; r < p; r++)
            {
                b[r] += w[i] * powers[r] * y[i];
                for (var c = 0; c < p; c++)
                {
                    a[r, c] += w[i] * powers[r] * powers[c];
                }
            }
        }

        var m = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(a);
        var v = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(b);
        return m.Solve(v).ToArray();
    }

    /// <summary>The 2.5 % and 97.5 % percentiles of bootstrap replicates (percentile interval, Efron & Tibshirani 1993, §13.3).</summary>
    public static Interval? Percentile95(IEnumerable<double> replicates)
    {
        var a = replicates.Where(double.IsFinite).Order().ToArray();
        if (a.Length < 10)
        {
            return null;
        }

        return new Interval(a[(int)Math.Floor(0.025 * (a.Length - 1))], a[(int)Math.Ceiling(0.975 * (a.Length - 1))]);
    }

    /// <summary>Indices of a bootstrap resample of n items.</summary>
    public static int[] Resample(Random rng, int n)
    {
        var idx = new int[n];
        for (var i = 0; i < n; i++)
        {
            idx[i] = rng.Next(n);
        }

        return idx;
    }
}

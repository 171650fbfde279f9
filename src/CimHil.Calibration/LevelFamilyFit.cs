using System.Collections.Immutable;
using CimHil.Core.Devices;
using MathNet.Numerics.Distributions;

namespace CimHil.Calibration;

/// <summary>
/// Chooses the distribution family of one level's settled conductances by goodness of fit: normal, log-normal, and — when
/// the verify window is known — normal truncated to the window and uniform over it. Each candidate is fitted by maximum
/// likelihood and scored by its one-sample Kolmogorov–Smirnov statistic; the smallest wins. The chosen family's
/// parameters get seeded bootstrap percentile intervals (Efron &amp; Tibshirani 1993, §13.3).
/// </summary>
/// <remarks>
/// KS with parameters estimated from the same data is optimistic (Lilliefors 1967), and more so for families with more
/// free parameters; the statistic is used to rank, and the uniform (no free parameter) wins only when the data fill the
/// window evenly, which is the behaviour of verify loops that stop at the first read inside the window.
/// </remarks>
public static class LevelFamilyFit
{
    public static LevelDistribution Fit(IReadOnlyList<double> conductanceS, double? windowLowS, double? windowHighS, int bootstrapSamples, Random rng)
    {
        ArgumentNullException.ThrowIfNull(conductanceS);
        ArgumentNullException.ThrowIfNull(rng);
        var g = conductanceS.Where(double.IsFinite).ToList();
        var window = windowLowS is { } lo && windowHighS is { } hi && hi > lo ? (Low: lo, High: hi) : ((double Low, double High)?)null;
        var families = new List<LevelFamily> { LevelFamily.Normal };
        if (g.All(v => v > 0))
        {
            families.Add(LevelFamily.LogNormal);
        }

        if (window is { } w && g.Count(v => v >= w.Low && v <= w.High) >= 5)
        {
            families.Add(LevelFamily.TruncatedNormal);
            families.Add(LevelFamily.Uniform);
        }

        var candidates = families.Select(f => new FamilyCandidate(f, Stats.KolmogorovSmirnov(g, Cdf(f, Parameters(f, g, window), window)))).ToList();
        var best = candidates.Where(c => double.IsFinite(c.Fit.Statistic)).OrderBy(c => c.Fit.Statistic).FirstOrDefault() ?? candidates[0];
        var values = Parameters(best.Family, g, window);
        var replicates = Enumerable.Range(0, bootstrapSamples)
            .Select(_ => Parameters(best.Family, Stats.Resample(rng, g.Count).Select(i => g[i]).ToList(), window))
            .ToList();
        var names = Names(best.Family);
        var parameters = names.Select((n, i) => new DistributionParameter(n, values[i], best.Family == LevelFamily.Uniform || n.StartsWith("window", StringComparison.Ordinal) ? null : Stats.Percentile95(replicates.Select(r => r[i]))));
        return new LevelDistribution
        {
            Family = best.Family,
            Parameters = [.. parameters],
            Fit = best.Fit,
            Candidates = [.. candidates],
        };
    }

    /// <summary>The CDF of a level's fitted distribution, from the parameters the model file holds.</summary>
    public static Func<double, double> Cdf(LevelDistribution d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var names = Names(d.Family);
        var p = names.Select(n => d.Parameter(n) ?? double.NaN).ToArray();
        var window = d.Parameter("windowLowS") is { } lo && d.Parameter("windowHighS") is { } hi ? (lo, hi) : ((double, double)?)null;
        return Cdf(d.Family, p, window);
    }

    private static string[] Names(LevelFamily family) => family switch
    {
        LevelFamily.LogNormal => ["logMean", "logSigma"],
        LevelFamily.TruncatedNormal => ["meanS", "sigmaS", "windowLowS", "windowHighS"],
        LevelFamily.Uniform => ["windowLowS", "windowHighS"],
        _ => ["meanS", "sigmaS"],
    };

    private static double[] Parameters(LevelFamily family, IReadOnlyList<double> g, (double Low, double High)? window)
    {
        switch (family)
        {
            case LevelFamily.LogNormal:
                var ln = g.Select(v => Math.Log(v)).ToList();
                return [Stats.Mean(ln), Math.Sqrt(Stats.Variance(ln))];
            case LevelFamily.TruncatedNormal:
                var (mu, sigma) = TruncatedNormalMle(g.Where(v => v >= window!.Value.Low && v <= window.Value.High).ToList(), window!.Value.Low, window.Value.High);
                return [mu, sigma, window.Value.Low, window.Value.High];
            case LevelFamily.Uniform:
                return [window!.Value.Low, window.Value.High];
            default:
                return [Stats.Mean(g), Math.Sqrt(Stats.Variance(g))];
        }
    }

    private static Func<double, double> Cdf(LevelFamily family, double[] p, (double Low, double High)? window)
    {
        switch (family)
        {
            case LevelFamily.LogNormal:
                return x => x <= 0 ? 0 : Normal.CDF(p[0], p[1], Math.Log(x));
            case LevelFamily.TruncatedNormal:
                var a = Normal.CDF(p[0], p[1], p[2]);
                var z = Normal.CDF(p[0], p[1], p[3]) - a;
                return x => Math.Clamp((Normal.CDF(p[0], p[1], Math.Clamp(x, p[2], p[3])) - a) / z, 0, 1);
            case LevelFamily.Uniform:
                return x => Math.Clamp((x - p[0]) / (p[1] - p[0]), 0, 1);
            default:
                return x => Normal.CDF(p[0], p[1], x);
        }
    }

    /// <summary>
    /// Maximum-likelihood μ, σ of a normal truncated to [low, high]: ln L = Σ ln φ((x − μ)/σ) − n ln σ − n ln(Φ(b) − Φ(a))
    /// (Johnson, Kotz &amp; Balakrishnan, Continuous Univariate Distributions vol. 1, 2nd ed., §13.10), by Nelder–Mead in (μ/w, ln σ/w).
    /// </summary>
    private static (double Mu, double Sigma) TruncatedNormalMle(IReadOnlyList<double> x, double low, double high)
    {
        var width = high - low;
        var n = x.Count;
        if (n < 2)
        {
            return (x.Count == 1 ? x[0] : (low + high) / 2, width);
        }

        // Work in units of the window width so the simplex steps are of order 1; σ is kept within [w/1000, 1000 w].
        var u = x.Select(v => (v - low) / width).ToArray();
        double NegLogLikelihood(double mu, double logSigma)
        {
            var s = Math.Exp(Math.Clamp(logSigma, -7, 7));
            var mass = Normal.CDF(mu, s, 1) - Normal.CDF(mu, s, 0);
            if (!(mass > 1e-300))
            {
                return double.MaxValue;
            }

            var sum = 0.0;
            foreach (var v in u)
            {
                var d = (v - mu) / s;
                sum += 0.5 * d * d;
            }

            return sum + (n * Math.Log(s)) + (n * Math.Log(mass));
        }

        var m0 = u.Average();
        var s0 = Math.Sqrt(Math.Max(1e-6, Stats.Variance(u)));
        var (mu, ls) = NelderMead.Minimise(NegLogLikelihood, m0, Math.Log(s0), 0.1, 0.3);
        return (low + (mu * width), Math.Exp(Math.Clamp(ls, -7, 7)) * width);
    }
}

using System.Collections.Immutable;
using CimHil.Core.Devices;

namespace CimHil.Calibration;

/// <summary>
/// σ(G) as a smooth function of the level, fitted to the per-level σ with weights 1/SE² (SE from the level's bootstrap):
/// linear σ = a + b·x, or power law σ = a·x^b (x = G/Gmax). Both have two parameters, so their weighted χ² compare
/// directly and the smaller is chosen; a tie goes to the power law, which stays positive at every level. The linear form
/// is the additive-plus-proportional error of program-and-verify (Le Gallo et al., J. Phys. D 51, 2018); the power law
/// covers spreads that grow sub- or super-linearly with G, as measured on PCM and RRAM arrays (Nandakumar et al. 2019).
/// A quadratic (the `sigmaS` polynomial) is kept for the measured levels but overshoots between them with few levels.
/// </summary>
public static class SigmaCurve
{
    public static SigmaOfConductance Fit(IReadOnlyList<double> x, IReadOnlyList<double> sigmaS, IReadOnlyList<double> standardErrorS, IReadOnlyList<IReadOnlyList<double>> replicates, ConductanceWindow window)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigmaS);
        ArgumentNullException.ThrowIfNull(standardErrorS);
        ArgumentNullException.ThrowIfNull(replicates);
        ArgumentNullException.ThrowIfNull(window);

        // A level without a usable SE gets the median SE of the others (or 1: then the fit is unweighted).
        var finite = standardErrorS.Where(s => s > 0 && double.IsFinite(s)).ToList();
        var fallback = finite.Count > 0 ? Stats.Median(finite) : 1.0;
        var w = standardErrorS.Select(s => s > 0 && double.IsFinite(s) ? 1 / (s * s) : 1 / (fallback * fallback)).ToList();
        var linear = FitLinear(x, sigmaS, w);
        var power = FitPower(x, sigmaS, w);
        var chiLinear = ChiSquare(SigmaOfConductance.Linear, linear, x, sigmaS, w);
        var chiPower = ChiSquare(SigmaOfConductance.PowerLaw, power, x, sigmaS, w);
        var form = double.IsFinite(chiPower) && !(chiLinear < chiPower * (1 - 1e-9)) ? SigmaOfConductance.PowerLaw : SigmaOfConductance.Linear;
        var (a, b) = form == SigmaOfConductance.PowerLaw ? power : linear;

        var fits = replicates.Select(r => form == SigmaOfConductance.PowerLaw ? FitPower(x, r, w) : FitLinear(x, r, w)).Where(p => double.IsFinite(p.A) && double.IsFinite(p.B)).ToList();
        var curve = new SigmaOfConductance { Form = form, A = a, B = b };
        var lowX = Math.Max(window.MinS, 0.01 * window.MaxS) / window.MaxS;
        var band = Enumerable.Range(0, 21).Select(i =>
        {
            var xi = lowX + ((1 - lowX) * i / 20.0);
            var at = fits.Select(p => (curve with { A = p.A, B = p.B }).Evaluate(xi)).ToList();
            var interval = Stats.Percentile95(at);
            var s = curve.Evaluate(xi);
            return new SigmaBandPoint(xi * window.MaxS, s, interval?.Low ?? s, interval?.High ?? s);
        });
        return curve with
        {
            AInterval = Stats.Percentile95(fits.Select(p => p.A)),
            BInterval = Stats.Percentile95(fits.Select(p => p.B)),
            LinearChiSquare = double.IsFinite(chiLinear) ? chiLinear : null,
            PowerLawChiSquare = double.IsFinite(chiPower) ? chiPower : null,
            Band = [.. band],
        };
    }

    private static (double A, double B) FitLinear(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> w)
    {
        if (x.Count == 1)
        {
            return (y[0], 0);
        }

        var c = Stats.PolynomialFit(x, y, w, 1);
        return (c[0], c.Length > 1 ? c[1] : 0);
    }

    /// <summary>ln σ = ln a + b ln x, weighted by (σ/SE)² — the delta-method weight of ln σ (its SE is SE/σ).</summary>
    private static (double A, double B) FitPower(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> w)
    {
        var idx = Enumerable.Range(0, x.Count).Where(i => x[i] > 0 && y[i] > 0).ToList();
        if (idx.Count == 0)
        {
            return (double.NaN, double.NaN);
        }

        if (idx.Count == 1)
        {
            return (y[idx[0]], 0);
        }

        var c = Stats.PolynomialFit(idx.Select(i => Math.Log(x[i])).ToList(), idx.Select(i => Math.Log(y[i])).ToList(), idx.Select(i => w[i] * y[i] * y[i]).ToList(), 1);
        return (Math.Exp(c[0]), c.Length > 1 ? c[1] : 0);
    }

    private static double ChiSquare(string form, (double A, double B) p, IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> w)
    {
        if (!double.IsFinite(p.A) || !double.IsFinite(p.B))
        {
            return double.NaN;
        }

        var curve = new SigmaOfConductance { Form = form, A = p.A, B = p.B };
        return Enumerable.Range(0, x.Count).Sum(i => w[i] * Math.Pow(y[i] - curve.Evaluate(x[i]), 2));
    }
}

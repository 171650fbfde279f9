using MathNet.Numerics.Distributions;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// The ground truth of one level of a generated array: the programming σ, the verify window (the draw is repeated until
/// it falls inside, as a verify loop does), whether the spread is log-normal, the chance a cell never verifies, and how
/// many extreme outliers are planted among the cells that did.
/// </summary>
internal sealed record TruthLevel(double TargetS, double SigmaS, double HalfWindowS, bool LogNormal = false, double FailureRate = 0, int Outliers = 0)
{
    /// <summary>
    /// σ of the cells that verified: for a normal cut to target ± h (c = h/σ), σ²·(1 − 2cφ(c)/(2Φ(c) − 1)) (Johnson, Kotz &amp;
    /// Balakrishnan vol. 1, §13.10); for a log-normal, target·√(e^{s²} − 1)·e^{s²/2} with s = σ/target.
    /// </summary>
    public double InWindowSigmaS
    {
        get
        {
            if (LogNormal)
            {
                var s = SigmaS / TargetS;
                return TargetS * Math.Sqrt(Math.Exp(s * s) - 1) * Math.Exp(s * s / 2);
            }

            var c = HalfWindowS / SigmaS;
            return SigmaS * Math.Sqrt(1 - (2 * c * Normal.PDF(0, 1, c) / ((2 * Normal.CDF(0, 1, c)) - 1)));
        }
    }

    public double WindowLowS => TargetS - HalfWindowS;

    public double WindowHighS => TargetS + HalfWindowS;
}

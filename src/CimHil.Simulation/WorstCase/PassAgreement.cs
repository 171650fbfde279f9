namespace CimHil.Simulation.WorstCase;

/// <summary>
/// How far two computations of the same worst-case pass agree (e.g. the GPU's against the CPU's, docs/gpu.md): correct
/// counts, objectives, the largest margin difference, and of ∂objective/∂W the relative L2 error ‖b − a‖/‖a‖, the cosine and
/// the fraction of components with the same sign (what a sign step follows), over components where either is non-zero.
/// </summary>
public sealed record PassAgreement(
    int CorrectA, int CorrectB, double LossA, double LossB, double MaxMarginDifference, double GradientRelativeError, double GradientCosine, double SignAgreement, long GradientComponents)
{
    /// <summary>Compares <paramref name="b"/> against the reference <paramref name="a"/> (same images, same conductances).</summary>
    public static PassAgreement Compare(PassOutcome a, PassOutcome b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Margins.Length != b.Margins.Length)
        {
            throw new ArgumentException($"{a.Margins.Length} margins against {b.Margins.Length}: not the same images", nameof(b));
        }

        var maxMargin = 0.0;
        for (var i = 0; i < a.Margins.Length; i++)
        {
            maxMargin = Math.Max(maxMargin, Math.Abs((double)a.Margins[i] - b.Margins[i]));
        }

        double dot = 0, aa = 0, bb = 0, diff = 0;
        long components = 0, sameSign = 0;
        if (a.WeightGradients is { } ga && b.WeightGradients is { } gb)
        {
            for (var l = 0; l < ga.Length; l++)
            {
                for (var i = 0; i < ga[l].Length; i++)
                {
                    double x = ga[l][i], y = gb[l][i];
                    if (x == 0 && y == 0)
                    {
                        continue;
                    }

                    components++;
                    sameSign += Math.Sign(x) == Math.Sign(y) ? 1 : 0;
                    dot += x * y;
                    aa += x * x;
                    bb += y * y;
                    diff += (x - y) * (x - y);
                }
            }
        }

        return new PassAgreement(
            a.Correct,
            b.Correct,
            a.Loss,
            b.Loss,
            maxMargin,
            aa > 0 ? Math.Sqrt(diff / aa) : (bb > 0 ? double.PositiveInfinity : 0),
            aa > 0 && bb > 0 ? dot / Math.Sqrt(aa * bb) : (aa == bb ? 1 : 0),
            components == 0 ? 1 : (double)sameSign / components,
            components);
    }
}

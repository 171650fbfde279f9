namespace CimHil.Simulation.WorstCase;

/// <summary>
/// The search objective on one batch of logits: Σ_i clamp(m_i, −κ, U) with the classification margin
/// m_i = z_{i,y} − max_{j≠y} z_{i,j} (positive iff sample i is classified correctly).
/// With κ = 0 and U = ∞ this is the untargeted f-function of Carlini &amp; Wagner (IEEE S&amp;P 2017, eq. for f₆),
/// the loss Yan et al. (ICCAD 2022) minimise over weight noise: samples already wrong contribute nothing.
/// A finite U drops samples whose margin is too large to flip within the bound, so the step direction is spent on the
/// samples that can still be flipped; κ &gt; 0 keeps pushing a freshly flipped sample a little past the boundary.
/// </summary>
public static class WorstCaseLoss
{
    /// <summary>Classification margins per sample for logits [N, classes] (row-major).</summary>
    public static void Margins(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> margins)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            var y = labels[i];
            var other = float.NegativeInfinity;
            for (var j = 0; j < classes; j++)
            {
                if (j != y && row[j] > other)
                {
                    other = row[j];
                }
            }

            margins[i] = row[y] - other;
        }
    }

    /// <summary>
    /// Σ_i clamp(m_i, −κ, U) over the batch and, when <paramref name="gradient"/> is not empty, its derivative w.r.t. the logits:
    /// +1 on the true class and −1 on the runner-up for every sample strictly inside (−κ, U), 0 elsewhere.
    /// </summary>
    public static double Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, double kappa, double upper, Span<float> gradient)
    {
        var loss = 0.0;
        var withGradient = !gradient.IsEmpty;
        if (withGradient)
        {
            gradient.Clear();
        }

        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            var y = labels[i];
            var runnerUp = -1;
            var other = float.NegativeInfinity;
            for (var j = 0; j < classes; j++)
            {
                if (j != y && (runnerUp < 0 || row[j] > other))
                {
                    other = row[j];
                    runnerUp = j;
                }
            }

            var m = (double)row[y] - other;
            loss += Math.Clamp(m, -kappa, upper);
            if (withGradient && m > -kappa && m < upper)
            {
                gradient[(i * classes) + y] = 1f;
                gradient[(i * classes) + runnerUp] = -1f;
            }
        }

        return loss;
    }
}

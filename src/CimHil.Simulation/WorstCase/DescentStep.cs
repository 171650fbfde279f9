namespace CimHil.Simulation.WorstCase;

/// <summary>The rules every descent loop shares (host and device), so the two loops cannot drift apart.</summary>
public static class DescentStep
{
    /// <summary>True when (correct, loss) is a better point of a start than (bestCorrect, bestLoss): fewer correct, then a lower objective.</summary>
    public static bool Improves(int correct, double loss, int bestCorrect, double bestLoss) =>
        correct < bestCorrect || (correct == bestCorrect && loss < bestLoss);

    /// <summary>The step size of step <paramref name="step"/> (0-based): cosine decay to 0 over the start's steps (Loshchilov &amp; Hutter, ICLR 2017) or constant.</summary>
    public static double Eta(WorstCaseOptions options, int step)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.CosineSchedule ? options.StepSize * 0.5 * (1 + Math.Cos(Math.PI * step / options.Steps)) : options.StepSize;
    }

    /// <summary>
    /// The focus fraction of start <paramref name="start"/>: each restart halves it, so later starts aim at fewer, easier
    /// samples, which matters when only a handful of samples can be flipped at all (the mean direction of many margins then
    /// misses the count-optimal corner). At 1 or more the clip is off (U = +∞).
    /// </summary>
    public static double Focus(WorstCaseOptions options, int start)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.FocusFraction / (1 << Math.Min(start, 20));
    }

    /// <summary>
    /// 0-based rank of the clip among <paramref name="positive"/> positive margins: the ⌈f·n⌉-th smallest. A device's select
    /// must pick the same rank exactly (docs/gpu.md).
    /// </summary>
    public static int FocusRank(double focus, int positive) => Math.Clamp((int)Math.Ceiling(focus * positive) - 1, 0, positive - 1);
}

using System.Globalization;

namespace CimHil.Workflows;

/// <summary>
/// A worst-case sweep moved: a gradient step of one start of bound k (units: steps of the whole sweep), or a bound
/// finished (<see cref="BoundFinished"/>, with that bound's worst-case accuracy as in the result).
/// </summary>
/// <param name="Stage">The worst-case stage's name.</param>
/// <param name="Done">Gradient steps done in the sweep.</param>
/// <param name="Total">Gradient steps in the sweep.</param>
/// <param name="K">The bound multiplier.</param>
/// <param name="Bound">Its index among the bounds in ascending order (0-based).</param>
/// <param name="Bounds">Bounds in the sweep.</param>
/// <param name="Start">The start within the bound (0 = warm start); -1 when the bound finished.</param>
/// <param name="Step">The step within the start; -1 when the bound finished.</param>
/// <param name="Accuracy">The current deviation's accuracy at a step; the bound's worst-case accuracy when it finished.</param>
/// <param name="BoundFinished">True for the event that closes bound <see cref="K"/>.</param>
public sealed record WorstCaseStepProgress(string Stage, double Done, double Total, double K, int Bound, int Bounds, int Start, int Step, double Accuracy, bool BoundFinished)
    : StageProgress(Stage, Done, Total, Describe(K, Bound, Bounds, Start, Step, Accuracy, BoundFinished))
{
    /// <summary>The event of <paramref name="stage"/> for the search's <paramref name="p"/>.</summary>
    public static WorstCaseStepProgress Of(string stage, WorstCaseProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);

        // A sweep of k = 0 only has no steps: its single bound counts as 1 of 1.
        var (done, total) = p.StepsTotal == 0 ? (p.BoundFinished ? 1.0 : 0.0, 1.0) : (p.StepsDone, p.StepsTotal);
        return new WorstCaseStepProgress(stage, done, total, p.K, p.Bound, p.Bounds, p.Start, p.Step, p.Accuracy, p.BoundFinished) { ElapsedSeconds = p.ElapsedSeconds };
    }

    private static string Describe(double k, int bound, int bounds, int start, int step, double accuracy, bool finished) => finished
        ? string.Create(CultureInfo.InvariantCulture, $"k={k:0.###} ({bound + 1}/{bounds}) done, worst case {accuracy:P2}")
        : string.Create(CultureInfo.InvariantCulture, $"k={k:0.###} ({bound + 1}/{bounds}) start {start} step {step}, accuracy {accuracy:P2}");
}

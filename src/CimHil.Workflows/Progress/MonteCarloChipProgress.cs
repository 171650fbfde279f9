using System.Globalization;

namespace CimHil.Workflows;

/// <summary>A Monte-Carlo chip finished: chips done of chips total (in order 1 … N), which chip, and its accuracy.</summary>
/// <param name="Stage">The Monte-Carlo stage's name.</param>
/// <param name="ChipsDone">Chips finished, this one included.</param>
/// <param name="ChipsTotal">Chips in the evaluation.</param>
/// <param name="ChipIndex">The chip that finished (its random stream is (seed, index)).</param>
/// <param name="ChipAccuracy">Its test accuracy, as in the result's chip accuracies.</param>
public sealed record MonteCarloChipProgress(string Stage, int ChipsDone, int ChipsTotal, int ChipIndex, double ChipAccuracy)
    : StageProgress(Stage, ChipsDone, ChipsTotal, string.Create(CultureInfo.InvariantCulture, $"chip {ChipsDone}/{ChipsTotal}, accuracy {ChipAccuracy:P2}"))
{
    /// <summary>The event of <paramref name="stage"/> for the evaluator's <paramref name="p"/>.</summary>
    public static MonteCarloChipProgress Of(string stage, MonteCarloProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new MonteCarloChipProgress(stage, p.ChipsDone, p.ChipsTotal, p.ChipIndex, p.ChipAccuracy) { ElapsedSeconds = p.ElapsedSeconds };
    }
}

using System.Collections.Immutable;

namespace CimHil.Simulation.WorstCase;

/// <summary>One evaluated iterate of a search (for traces and plots).</summary>
public sealed record WorstCaseTracePoint(int Start, int Step, double Accuracy, double Loss, double ElapsedSeconds);

/// <summary>The outcome of one search at one bound.</summary>
public sealed record WorstCaseRun
{
    /// <summary>The bound multiplier k.</summary>
    public required double K { get; init; }

    /// <summary>Accuracy of the best Δ, re-evaluated with the exact mapped forward.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Correct images under the best Δ.</summary>
    public required int Correct { get; init; }

    /// <summary>Images evaluated.</summary>
    public required int Images { get; init; }

    /// <summary>Best accuracy before the greedy polish (equal to <see cref="Accuracy"/> when the polish found nothing or was off).</summary>
    public required double AccuracyBeforePolish { get; init; }

    /// <summary>The deviation found (inside the box).</summary>
    public required ConductancePerturbation Delta { get; init; }

    /// <summary>Gradient (forward + backward) passes over the test set spent.</summary>
    public required int GradientPasses { get; init; }

    /// <summary>Forward-only passes over the test set spent (polish, converter checks, final verification).</summary>
    public required int ForwardPasses { get; init; }

    /// <summary>Wall time of the whole search.</summary>
    public required double Seconds { get; init; }

    /// <summary>Wall time until the final accuracy was first reached.</summary>
    public required double SecondsToBest { get; init; }

    /// <summary>Every evaluated iterate.</summary>
    public ImmutableArray<WorstCaseTracePoint> Trace { get; init; } = [];
}

/// <summary>
/// The result at one bound k: the accuracy-versus-bound curve's point with how it was found. The plain point (k and
/// accuracy, what a report plots) is <see cref="CimHil.Core.Devices.WorstCasePoint"/>.
/// </summary>
public sealed record WorstCaseBoundResult
{
    /// <summary>The bound multiplier k (|Δg_i| ≤ k·σ_i).</summary>
    public required double K { get; init; }

    /// <summary>Reported worst-case accuracy: min over this bound's search and every smaller bound's Δ (non-increasing in k).</summary>
    public required double Accuracy { get; init; }

    /// <summary>Accuracy that this bound's own search reached (before taking the running minimum).</summary>
    public required double SearchAccuracy { get; init; }

    /// <summary>True when a smaller bound's Δ was better than this bound's own search and is reported instead.</summary>
    public required bool FromSmallerBound { get; init; }

    /// <summary>Largest |Δg_i|/σ_i of the reported Δ (≤ k).</summary>
    public required double MaxNormalisedDeviation { get; init; }

    /// <summary>Where the reported Δ was saved (safetensors), if it was.</summary>
    public string? PerturbationPath { get; init; }

    /// <summary>The search behind this point (null for k = 0).</summary>
    public WorstCaseRun? Run { get; init; }
}

/// <summary>The Monte-Carlo reference under the same device model: per-chip accuracies summarised.</summary>
public sealed record MonteCarloReference(int Chips, double Mean, double Minimum, double PercentileK, double Percentile, string Variation, double Seconds);

/// <summary>A worst-case sweep: clean accuracy, the curve over k, and the Monte-Carlo reference.</summary>
public sealed record WorstCaseReport
{
    /// <summary>The search preset.</summary>
    public required string Method { get; init; }

    /// <summary>The box description.</summary>
    public required string Bound { get; init; }

    /// <summary>Accuracy of the mapped network without any deviation (quantisation only).</summary>
    public required double CleanAccuracy { get; init; }

    /// <summary>Images evaluated.</summary>
    public required int Images { get; init; }

    /// <summary>Devices in the box.</summary>
    public required long Devices { get; init; }

    /// <summary>The curve, k ascending.</summary>
    public required ImmutableArray<WorstCaseBoundResult> Points { get; init; }

    /// <summary>Monte-Carlo statistics for the same device model, if run.</summary>
    public MonteCarloReference? MonteCarlo { get; init; }

    /// <summary>Total wall time.</summary>
    public required double Seconds { get; init; }
}

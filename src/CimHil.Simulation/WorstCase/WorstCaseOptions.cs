using CimHil.Core.Config;

namespace CimHil.Simulation.WorstCase;

/// <summary>How each iterate moves along the gradient.</summary>
public enum WorstCaseStepRule
{
    /// <summary>Δ ← Π_box(Δ − η·h ⊙ sign(∇)), h the box half-width per device: steepest descent for the ∞-norm geometry of a box (PGD, Madry et al., ICLR 2018).</summary>
    Sign,

    /// <summary>Adam (Kingma &amp; Ba, ICLR 2015) on u = Δ/h, then the projection onto the box: the optimiser of Yan et al.'s search.</summary>
    Adam,
}

/// <summary>Settings of a worst-case search. <see cref="Default"/> is the stronger search; <see cref="Paper"/> follows Yan et al. (ICCAD 2022).</summary>
public sealed record WorstCaseOptions
{
    /// <summary>Preset name for reports ("default", "paper" or "custom").</summary>
    public string Name { get; init; } = "default";

    /// <summary>Gradient steps per start.</summary>
    public int Steps { get; init; } = 30;

    /// <summary>Extra starts from a uniformly random point of the box, after the first start (zero or the warm start).</summary>
    public int Restarts { get; init; } = 1;

    /// <summary>The update rule.</summary>
    public WorstCaseStepRule StepRule { get; init; } = WorstCaseStepRule.Sign;

    /// <summary>Initial step as a fraction of each device's box half-width (sign rule) or Adam's learning rate on u = Δ/h.</summary>
    public double StepSize { get; init; } = 0.5;

    /// <summary>Cosine decay of the step to 0 over each start's steps (Loshchilov &amp; Hutter, ICLR 2017); off: constant step.</summary>
    public bool CosineSchedule { get; init; } = true;

    /// <summary>κ of the objective as a fraction of the median positive margin of the unperturbed chip (0: Carlini–Wagner κ = 0).</summary>
    public double KappaRelative { get; init; } = 0.05;

    /// <summary>
    /// Fraction of the still-correct samples, those with the smallest margins, that the objective covers (1: all). The upper
    /// clip U is re-set before every step to this quantile of the current positive margins.
    /// </summary>
    public double FocusFraction { get; init; } = 0.5;

    /// <summary>Exact forward evaluations the greedy polish after each start may spend (0: no polish).</summary>
    public int PolishEvaluations { get; init; } = 24;

    /// <summary>Devices the polish considers: those with the largest first-order gain |∂L/∂g|·(distance to the descent bound).</summary>
    public int PolishCandidates { get; init; } = 2048;

    /// <summary>Seed of the random restarts.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>The stronger default search: focused clipped margin, sign steps with cosine decay, one random restart, greedy polish.</summary>
    public static WorstCaseOptions Default { get; } = new();

    /// <summary>
    /// Yan et al.'s search (ICCAD 2022, code MariusAnje/CIM_CW, class WCW): the untargeted Carlini–Wagner margin over all
    /// samples (κ = 0) minimised with Adam at a constant learning rate, one start, no polish. Their distance penalty and the
    /// binary search over its weight c are replaced by the hard box (a projection after each step), since here the bound is
    /// given and the accuracy is sought, not the converse.
    /// </summary>
    public static WorstCaseOptions Paper { get; } = new()
    {
        Name = "paper",
        StepRule = WorstCaseStepRule.Adam,
        StepSize = 0.1,
        CosineSchedule = false,
        KappaRelative = 0,
        FocusFraction = 1,
        Restarts = 0,
        PolishEvaluations = 0,
        Steps = 60,
    };

    /// <summary>The preset called <paramref name="name"/> ("default" or "paper").</summary>
    public static WorstCaseOptions Preset(string name) => name.ToLowerInvariant() switch
    {
        "default" => Default,
        "paper" => Paper,
        _ => throw new ConfigException("method", $"'{name}' is not a worst-case method; use 'default' or 'paper'", "worst-case"),
    };

    /// <summary>Gradient passes one search at k &gt; 0 spends: (steps + 1) per start, plus one per start for the polish ranking.</summary>
    public int GradientPasses => (1 + Restarts) * (Steps + 1 + (PolishEvaluations > 0 ? 1 : 0));

    /// <summary>Checks the ranges; messages name the setting, the value and the limit.</summary>
    public WorstCaseOptions Validate()
    {
        Check(Steps >= 1, $"steps {Steps} must be ≥ 1");
        Check(Restarts >= 0, $"restarts {Restarts} must be ≥ 0");
        Check(StepSize > 0 && double.IsFinite(StepSize), $"step size {StepSize} must be a finite number > 0");
        Check(KappaRelative >= 0 && double.IsFinite(KappaRelative), $"kappa {KappaRelative} must be a finite number ≥ 0");
        Check(FocusFraction is > 0 and <= 1, $"focus fraction {FocusFraction} must lie in (0, 1]");
        Check(PolishEvaluations >= 0, $"polish evaluations {PolishEvaluations} must be ≥ 0");
        Check(PolishCandidates >= 1, $"polish candidates {PolishCandidates} must be ≥ 1");
        return this;

        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(nameof(WorstCaseOptions), message);
            }
        }
    }
}

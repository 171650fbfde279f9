namespace CimHil.Simulation.WorstCase;

/// <summary>What one start's descent works on (<see cref="IWorstCaseDescent"/>).</summary>
public sealed record DescentRequest
{
    /// <summary>The feasible set; the same instance for every start of one bound, so a device uploads it once per bound.</summary>
    public required PerturbationBox Box { get; init; }

    /// <summary>The start point, inside the box; the host loop moves it in place, a device copies it once.</summary>
    public required ConductancePerturbation Start { get; init; }

    /// <summary>Receives the start's best Δ.</summary>
    public required ConductancePerturbation Best { get; init; }

    /// <summary>The start's index (0: zero or warm start), which sets the focus (<see cref="DescentStep.Focus"/>).</summary>
    public required int StartIndex { get; init; }

    /// <summary>κ of the objective, logit units.</summary>
    public required double Kappa { get; init; }

    /// <summary>Steps, step rule, step size, schedule and focus fraction.</summary>
    public required WorstCaseOptions Options { get; init; }

    /// <summary>Called after every step's pass with (step, correct count, objective).</summary>
    public Action<int, int, double>? OnStep { get; init; }
}

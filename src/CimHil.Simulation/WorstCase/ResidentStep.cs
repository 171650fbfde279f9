namespace CimHil.Simulation.WorstCase;

/// <summary>
/// The scalars of one step of a resident state, computed on the host with the CPU loop's own expressions so the device
/// repeats the CPU's arithmetic: Adam's bias corrections 1 − β^t come from the host's <see cref="Math.Pow"/>, not the device's.
/// </summary>
/// <param name="Eta">The step size (<see cref="DescentStep.Eta"/>).</param>
/// <param name="Adam">True for Adam on u = Δ/h, false for the sign step.</param>
/// <param name="Beta1">Adam's β₁.</param>
/// <param name="Beta2">Adam's β₂.</param>
/// <param name="Epsilon">Adam's ε.</param>
/// <param name="BiasCorrection1">1 − β₁^t.</param>
/// <param name="BiasCorrection2">1 − β₂^t.</param>
public sealed record ResidentStep(double Eta, bool Adam, double Beta1, double Beta2, double Epsilon, double BiasCorrection1, double BiasCorrection2)
{
    /// <summary>Step <paramref name="t"/> (1-based, Kingma &amp; Ba's t) of <paramref name="options"/>'s rule at size <paramref name="eta"/>.</summary>
    public static ResidentStep For(WorstCaseOptions options, double eta, int t)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ResidentStep(
            eta, options.StepRule == WorstCaseStepRule.Adam, AdamState.Beta1, AdamState.Beta2, AdamState.Epsilon,
            1 - Math.Pow(AdamState.Beta1, t), 1 - Math.Pow(AdamState.Beta2, t));
    }
}

namespace CimHil.Simulation.WorstCase;

/// <summary>
/// The search state of one start kept where the passes run (docs/gpu.md, "The worst-case search on the GPU"): targets, Δ, the
/// box, Adam's moments, the margins and the focus clip U, in <see cref="FlatDeviceLayout"/> order. <see cref="ResidentDescent"/>
/// drives it; per step only the correct count and the objective come back.
/// </summary>
public interface IResidentSearchState
{
    /// <summary>Uploads the box's lower and upper bounds (once per bound).</summary>
    void LoadBox(PerturbationBox box);

    /// <summary>Sets Δ to <paramref name="start"/> (already inside the box), Adam's moments to 0 and U to +∞.</summary>
    void LoadStart(ConductancePerturbation start);

    /// <summary>
    /// Decodes W = Σ_s c_s·((G⁺_s + Δ⁺_s) − (G⁻_s + Δ⁻_s)) in doubles, rounded to float once per weight (as
    /// <see cref="Mapping.MappedLayer.Decode(Mapping.LayerConductances)"/>), runs the forward over the test set, scores it as
    /// <see cref="WorstCaseLoss"/> does under κ = <paramref name="kappa"/> and the current U, keeps the margins and runs the
    /// backward to ∂L/∂W. Returns the correct count and the objective.
    /// </summary>
    (int Correct, double Loss) Pass(double kappa);

    /// <summary>Copies Δ into the start's best.</summary>
    void KeepStartBest();

    /// <summary>One sign or Adam step on every device from the last pass's ∂L/∂W, then the projection onto the box.</summary>
    void Step(ResidentStep step);

    /// <summary>Sets U to the ⌈<paramref name="focus"/>·n⌉-th smallest of the n positive margins of the last pass (+∞ when n = 0).</summary>
    void FocusClip(double focus);

    /// <summary>The current U.</summary>
    double ReadUpper();

    /// <summary>Copies the start's best Δ into <paramref name="target"/>.</summary>
    void ReadStartBest(ConductancePerturbation target);
}

namespace CimHil.Simulation.WorstCase;

/// <summary>What one start's descent ended with.</summary>
/// <param name="Correct">Images correct at the start's best Δ, as the pass that found it counted them.</param>
/// <param name="Loss">The objective there.</param>
/// <param name="Upper">The focus clip U of the start's last pass (the polish compares under it).</param>
/// <param name="GradientPasses">Gradient passes spent.</param>
/// <param name="ForwardPasses">Exact forward passes spent (only with converters).</param>
public sealed record DescentResult(int Correct, double Loss, double Upper, int GradientPasses, int ForwardPasses);

namespace CimHil.Simulation.WorstCase;

/// <summary>What one polish of a start's end point did.</summary>
/// <param name="Correct">Images still correct at the polished Δ.</param>
/// <param name="Improved">True when the polish left fewer images correct than the point it started from.</param>
/// <param name="GradientPasses">Gradient passes spent.</param>
/// <param name="ForwardPasses">Exact forward passes spent.</param>
internal sealed record PolishOutcome(int Correct, bool Improved, int GradientPasses, int ForwardPasses);

namespace CimHil.Simulation.Variation;

/// <summary>
/// What programming a layer leaves besides its conductances: a weight-domain offset (models that perturb weights, not
/// devices; null otherwise) and the digital output factor (drift compensation; 1 otherwise).
/// </summary>
public sealed record ProgrammedLayer(float[]? WeightOffset, double OutputFactor)
{
    /// <summary>No weight offset and unit output factor.</summary>
    public static ProgrammedLayer Exact { get; } = new(null, 1.0);
}

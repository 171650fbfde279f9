namespace CimHil.Simulation.Mapping;

/// <summary>Where the digital scale α (weight units per full-scale level) is shared.</summary>
public enum ScaleGranularity
{
    /// <summary>One α = max|W| for the whole layer.</summary>
    PerLayer,

    /// <summary>One α = max over a crossbar column, i.e. per output neuron / output channel (a row of W).</summary>
    PerColumn,
}

using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Variation;

/// <summary>No variation: the chip holds exactly the mapped (quantised) conductances.</summary>
public sealed class NoiseFreeModel : IDeviceNoiseModel
{
    private NoiseFreeModel()
    {
    }

    /// <summary>The one instance.</summary>
    public static NoiseFreeModel Instance { get; } = new();

    /// <inheritdoc/>
    public ConductanceWindow? Window => null;

    /// <inheritdoc/>
    public string Describe(VariationSpec spec) => "none";

    /// <inheritdoc/>
    public bool HasReadNoise(VariationSpec spec) => false;

    /// <inheritdoc/>
    public bool HasDrift(VariationSpec spec) => false;

    /// <inheritdoc/>
    public ProgrammedLayer Program(MappedLayer layer, LayerConductances conductances, VariationSpec spec, SimulationRng rng) => ProgrammedLayer.Exact;

    /// <inheritdoc/>
    public void ReadNoiseSigma(ReadOnlySpan<double> conductanceS, Span<double> sigmaS) => sigmaS.Clear();
}

using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Variation;

/// <summary>
/// One device-noise model of a simulated chip: programming noise (fixed per chip), drift to the inference time and read
/// noise (fresh per inference batch). The calibrated device model, the plain Gaussian models and future ones (imported
/// tables, aihwkit's PCM statistics) are peers behind this seam, as in aihwkit's <c>BaseNoiseModel</c>
/// (<c>inference/noise/base.py</c>: apply_programming_noise, apply_drift_noise, read noise). A model is registered by name
/// in <see cref="NoiseModels"/> so that <see cref="VariationSpec.Parse"/> finds it.
/// </summary>
/// <remarks>
/// All randomness comes from the chip's <see cref="SimulationRng"/> stream, which <see cref="SimulatedChip"/> hands to
/// <see cref="Program"/> layer by layer in forward order, so a seed gives the same chip whatever the thread count. Drift is
/// applied inside <see cref="Program"/>: its per-device draws are interleaved with the programming draws in one stream,
/// and splitting them would change every seed's numbers.
/// </remarks>
public interface IDeviceNoiseModel
{
    /// <summary>The conductance window the model describes, or null (mapping then uses <see cref="VariationSpec.DefaultWindow"/>).</summary>
    ConductanceWindow? Window { get; }

    /// <summary>Short description under <paramref name="spec"/>'s switches, for logs and reports.</summary>
    string Describe(VariationSpec spec);

    /// <summary>True when reads are noisy under <paramref name="spec"/> (weights are then redrawn per inference batch).</summary>
    bool HasReadNoise(VariationSpec spec);

    /// <summary>True when the conductances drift under <paramref name="spec"/>.</summary>
    bool HasDrift(VariationSpec spec);

    /// <summary>
    /// Programming noise of one layer, fixed per chip, with drift to <see cref="VariationSpec.InferenceTimeSeconds"/>:
    /// turns <paramref name="conductances"/> (the layer's targets) into the conductances at inference time, in place,
    /// drawing from <paramref name="rng"/>.
    /// </summary>
    ProgrammedLayer Program(MappedLayer layer, LayerConductances conductances, VariationSpec spec, SimulationRng rng);

    /// <summary>Read noise: σ in siemens of one read of each device at conductance <paramref name="conductanceS"/>.</summary>
    void ReadNoiseSigma(ReadOnlySpan<double> conductanceS, Span<double> sigmaS);
}

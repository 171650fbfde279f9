using CimHil.Core.Devices;

namespace CimHil.Simulation.Variation;

/// <summary>
/// What varies on a simulated chip: one noise model (<see cref="IDeviceNoiseModel"/>: the calibrated device model, the plain
/// Gaussian model, nothing, or a registered plug-in) and the conditions it runs under (inference time, drift compensation,
/// and switches that turn single effects of the calibrated model off for ablations).
/// </summary>
public sealed record VariationSpec
{
    /// <summary>Window used when no device model supplies one: [0, 100 µS], a typical RRAM/PCM range.</summary>
    public static ConductanceWindow DefaultWindow { get; } = new(0, 100e-6);

    /// <summary>No variation at all: the chip holds exactly the mapped (quantised) weights.</summary>
    public static VariationSpec None { get; } = new();

    /// <summary>The noise model; <see cref="NoiseFreeModel"/> by default.</summary>
    public IDeviceNoiseModel Noise { get; init; } = NoiseFreeModel.Instance;

    /// <summary>The plain Gaussian model, or null when <see cref="Noise"/> is another model (callers check "is this Gaussian").</summary>
    public GaussianNoiseModel? Gaussian => Noise as GaussianNoiseModel;

    /// <summary>Apply the device model's programming error (fixed per chip).</summary>
    public bool ProgrammingError { get; init; } = true;

    /// <summary>Apply the device model's read noise (fresh per inference batch).</summary>
    public bool ReadNoise { get; init; } = true;

    /// <summary>Apply the device model's stuck-at cells (fixed per chip).</summary>
    public bool StuckAt { get; init; } = true;

    /// <summary>Time after programming at which inference runs; drift applies when it exceeds the model's t0. Null: no drift.</summary>
    public double? InferenceTimeSeconds { get; init; }

    /// <summary>Scale each layer's output by a global factor measured from the mean drift (aihwkit GlobalDriftCompensation).</summary>
    public bool DriftCompensation { get; init; }

    /// <summary>The conductance window to map into.</summary>
    public ConductanceWindow Window => Noise.Window ?? DefaultWindow;

    /// <summary>True when some read noise is sampled per inference batch.</summary>
    public bool HasReadNoise => Noise.HasReadNoise(this);

    /// <summary>True when drift is applied.</summary>
    public bool HasDrift => Noise.HasDrift(this);

    /// <summary>Short description for logs and reports.</summary>
    public string Describe() => Noise.Describe(this);

    /// <summary>
    /// Parses a command-line device-model argument: "none", "gaussian:0.05" (weight domain), "gaussian-conductance:0.05",
    /// another registered model (<see cref="NoiseModels"/>), or the path of a calibration JSON file.
    /// </summary>
    public static VariationSpec Parse(string text)
    {
        var noise = NoiseModels.Parse(text);
        return noise is NoiseFreeModel ? None : new VariationSpec { Noise = noise };
    }
}

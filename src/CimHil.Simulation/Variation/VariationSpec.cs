using System.Globalization;
using CimHil.Core.Config;
using CimHil.Core.Devices;

namespace CimHil.Simulation.Variation;

/// <summary>Where the plain Gaussian model adds its noise.</summary>
public enum GaussianDomain
{
    /// <summary>
    /// w' = w + N(0, (σ_rel·max|W|)²) per layer, on the weight. The form of Yan et al. (ICCAD 2022) and their code
    /// (MariusAnje/CIM_Noise: set_noise scales unit normals by weight.abs().max()).
    /// </summary>
    Weight,

    /// <summary>g' = g + N(0, (σ_rel·(Gmax − Gmin))²) on every device.</summary>
    Conductance,
}

/// <summary>The plain Gaussian variation model used for comparison with published numbers.</summary>
public sealed record GaussianVariation(double SigmaRelative, GaussianDomain Domain = GaussianDomain.Weight);

/// <summary>
/// What varies on a simulated chip: a calibrated device model (programming error, read noise, drift, stuck-at), or the
/// plain Gaussian model, or nothing. Each effect of the device model can be switched off for ablations.
/// </summary>
public sealed record VariationSpec
{
    /// <summary>Window used when no device model supplies one: [0, 100 µS], a typical RRAM/PCM range.</summary>
    public static ConductanceWindow DefaultWindow { get; } = new(0, 100e-6);

    /// <summary>No variation at all: the chip holds exactly the mapped (quantised) weights.</summary>
    public static VariationSpec None { get; } = new();

    /// <summary>Calibrated device model, or null.</summary>
    public DeviceVariationModel? Device { get; init; }

    /// <summary>Plain Gaussian model, or null.</summary>
    public GaussianVariation? Gaussian { get; init; }

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
    public ConductanceWindow Window => Device?.Window ?? DefaultWindow;

    /// <summary>True when some read noise is sampled per inference batch.</summary>
    public bool HasReadNoise => ReadNoise && Device is { } d && d.ReadNoise.SigmaS.Coefficients.Any(c => c != 0);

    /// <summary>True when drift is applied.</summary>
    public bool HasDrift => Device?.Drift is { } d && InferenceTimeSeconds is { } t && t > d.T0Seconds;

    /// <summary>Short description for logs and reports.</summary>
    public string Describe() =>
        Gaussian is { } g ? $"gaussian σ_rel={g.SigmaRelative.ToString("G4", CultureInfo.InvariantCulture)} on {g.Domain.ToString().ToLowerInvariant()}"
        : Device is { } d ? $"device model '{d.Name}'{(HasDrift ? $", drift to {InferenceTimeSeconds:G4} s{(DriftCompensation ? " compensated" : string.Empty)}" : string.Empty)}"
        : "none";

    /// <summary>
    /// Parses a command-line device-model argument: "none", "gaussian:0.05" (weight domain), "gaussian-conductance:0.05",
    /// or the path of a calibration JSON file.
    /// </summary>
    public static VariationSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text, "none", StringComparison.OrdinalIgnoreCase))
        {
            return None;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && text[..colon].StartsWith("gaussian", StringComparison.OrdinalIgnoreCase))
        {
            var kind = text[..colon].ToLowerInvariant();
            var domain = kind switch
            {
                "gaussian" or "gaussian-weight" => GaussianDomain.Weight,
                "gaussian-conductance" => GaussianDomain.Conductance,
                _ => throw new ConfigException(string.Empty, $"'{kind}' is not a Gaussian model; use gaussian:σ or gaussian-conductance:σ", text),
            };
            if (!double.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var sigma) || !(sigma >= 0) || !double.IsFinite(sigma))
            {
                throw new ConfigException(string.Empty, $"relative σ '{text[(colon + 1)..]}' must be a finite number ≥ 0", text);
            }

            return new VariationSpec { Gaussian = new GaussianVariation(sigma, domain) };
        }

        return new VariationSpec { Device = DeviceModelFile.Load(text) };
    }
}

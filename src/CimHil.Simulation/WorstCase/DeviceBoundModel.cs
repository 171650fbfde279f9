using System.Globalization;
using CimHil.Core.Config;
using CimHil.Core.Devices;
using CimHil.Core.Numerics;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.WorstCase;

/// <summary>Where the per-device unit bound σ_i of the worst-case box comes from.</summary>
public enum DeviceBoundKind
{
    /// <summary>
    /// σ_i = σ_prog of a calibrated device model at the device's target conductance, exactly as the Monte-Carlo samples it:
    /// the polynomial σ(x), x = G/Gmax, at a measured level, the σ(G) curve elsewhere when the model has one.
    /// </summary>
    DeviceSigma,

    /// <summary>σ_i = σ_rel·(Gmax − Gmin) for every device (the plain Gaussian model on conductances).</summary>
    GaussianConductance,

    /// <summary>
    /// Weight-domain bound |ΔW| ≤ k·σ_rel·max|W| per weight (the perturbation form of Yan et al., ICCAD 2022), realised by
    /// the two slice-0 devices of the weight's pair.
    /// </summary>
    GaussianWeight,

    /// <summary>σ_i = fraction·(Gmax − Gmin) for every device: a specification bound independent of any noise model.</summary>
    UniformWindow,
}

/// <summary>
/// The per-device half-widths of the worst-case box: a chip within specification has |Δg_i| ≤ k·σ_i for every device i.
/// Built from the same <see cref="VariationSpec"/> the Monte-Carlo evaluator samples, so both describe one device model.
/// </summary>
public sealed record DeviceBoundModel
{
    /// <summary>Where σ_i comes from.</summary>
    public required DeviceBoundKind Kind { get; init; }

    /// <summary>Calibrated device model (for <see cref="DeviceBoundKind.DeviceSigma"/>).</summary>
    public DeviceVariationModel? Device { get; init; }

    /// <summary>σ_rel or the window fraction (for the Gaussian and uniform kinds).</summary>
    public double Relative { get; init; }

    /// <summary>The conductance window the network is mapped into.</summary>
    public required ConductanceWindow Window { get; init; }

    /// <summary>
    /// True when conductances must stay physical (G ≥ 0), so the box is cut at −G on the low side. Off for the weight-domain
    /// model, whose box lives in weight space.
    /// </summary>
    public bool RespectsZeroConductance => Kind != DeviceBoundKind.GaussianWeight;

    /// <summary>The Monte-Carlo variation that this bound model corresponds to (programming error only, no read noise, no stuck-at, no drift).</summary>
    public VariationSpec MonteCarloSpec => Kind switch
    {
        DeviceBoundKind.DeviceSigma => new VariationSpec { Noise = new CalibratedNoiseModel(Device!), ReadNoise = false, StuckAt = false },
        DeviceBoundKind.GaussianConductance => new VariationSpec { Noise = new GaussianNoiseModel(Relative, GaussianDomain.Conductance) },
        DeviceBoundKind.GaussianWeight => new VariationSpec { Noise = new GaussianNoiseModel(Relative, GaussianDomain.Weight) },
        _ => new VariationSpec { Noise = new GaussianNoiseModel(Relative, GaussianDomain.Conductance) },
    };

    /// <summary>Short description for logs and reports.</summary>
    public string Describe() => Kind switch
    {
        DeviceBoundKind.DeviceSigma => $"k·σ_prog(G) of device model '{Device?.Name}'",
        DeviceBoundKind.GaussianConductance => $"k·{Relative.ToString("G4", CultureInfo.InvariantCulture)}·(Gmax−Gmin) per device",
        DeviceBoundKind.GaussianWeight => $"k·{Relative.ToString("G4", CultureInfo.InvariantCulture)}·max|W| per weight",
        _ => $"k·{Relative.ToString("G4", CultureInfo.InvariantCulture)}·(Gmax−Gmin) per device (uniform)",
    };

    /// <summary>
    /// The bound model matching a variation spec (the device model's programming σ or the Gaussian σ_rel); a box needs a
    /// model's per-device σ, so models without a bound form here are refused.
    /// </summary>
    public static DeviceBoundModel FromVariation(VariationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Noise)
        {
            case CalibratedNoiseModel { Device: var device }:
                return new DeviceBoundModel { Kind = DeviceBoundKind.DeviceSigma, Device = device, Window = device.Window };
            case GaussianNoiseModel g:
                var kind = g.Domain == GaussianDomain.Weight ? DeviceBoundKind.GaussianWeight : DeviceBoundKind.GaussianConductance;
                return new DeviceBoundModel { Kind = kind, Relative = g.SigmaRelative, Window = spec.Window };
        }

        throw new ConfigException(string.Empty, "a worst-case box needs a device model or a Gaussian σ; 'none' has no variation to bound", spec.Describe());
    }

    /// <summary>A uniform bound: σ_i = fraction·(Gmax − Gmin) for every device.</summary>
    public static DeviceBoundModel Uniform(double fraction, ConductanceWindow? window = null)
    {
        if (!(fraction > 0) || !double.IsFinite(fraction))
        {
            throw new ConfigException(string.Empty, $"uniform bound fraction {fraction} must be a finite number greater than 0", "uniform");
        }

        return new DeviceBoundModel { Kind = DeviceBoundKind.UniformWindow, Relative = fraction, Window = window ?? VariationSpec.DefaultWindow };
    }

    /// <summary>
    /// Parses a command-line device model: "uniform:0.01" (fraction of the window), or anything
    /// <see cref="VariationSpec.Parse"/> accepts (calibration JSON path, "gaussian:0.05", "gaussian-conductance:0.05").
    /// </summary>
    public static DeviceBoundModel Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string prefix = "uniform:";
        if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            var rest = text[prefix.Length..];
            if (!double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
            {
                throw new ConfigException(string.Empty, $"uniform bound fraction '{rest}' is not a number", text);
            }

            return Uniform(f);
        }

        return FromVariation(VariationSpec.Parse(text));
    }

    /// <summary>Per-device unit half-widths σ_i (siemens, k = 1) for every layer of <paramref name="mapped"/>.</summary>
    public IReadOnlyList<LayerConductances> UnitBounds(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var result = new LayerConductances[mapped.Layers.Count];
        for (var l = 0; l < mapped.Layers.Count; l++)
        {
            var layer = mapped.Layers[l];
            var t = layer.Targets;
            var b = new LayerConductances(t.SliceCount, t.WeightCount);
            switch (Kind)
            {
                case DeviceBoundKind.DeviceSigma:
                    // The σ the Monte-Carlo samples (CalibratedNoiseModel.ProgrammingSigmaS): the polynomial, cut at 0, at a
                    // measured level, and the calibrated σ(G) curve at every other target where the model has one, so the
                    // box and the Monte-Carlo describe one device model (issue #16; docs/calibration.md, "σ(G)").
                    var noise = new CalibratedNoiseModel(Device ?? throw new InvalidOperationException("DeviceSigma bound without a device model."));
                    for (var s = 0; s < t.SliceCount; s++)
                    {
                        for (var i = 0; i < t.WeightCount; i++)
                        {
                            b.Plus[s][i] = noise.ProgrammingSigmaS(t.Plus[s][i]);
                            b.Minus[s][i] = noise.ProgrammingSigmaS(t.Minus[s][i]);
                        }
                    }

                    break;
                case DeviceBoundKind.GaussianConductance:
                case DeviceBoundKind.UniformWindow:
                    var sd = Relative * layer.Window.SpanS;
                    for (var s = 0; s < t.SliceCount; s++)
                    {
                        Array.Fill(b.Plus[s], sd);
                        Array.Fill(b.Minus[s], sd);
                    }

                    break;
                case DeviceBoundKind.GaussianWeight:
                    // Same reference as GaussianNoiseModel's weight domain: σ_rel·max|W| of the layer's float weights.
                    var maxAbs = (double)Norms.MaxAbs(layer.Layer.Weight.Data);

                    var c0 = layer.Coefficients[0];
                    for (var i = 0; i < t.WeightCount; i++)
                    {
                        // ΔW = c0·(Δg⁺ − Δg⁻) with |Δg±| ≤ B/(2·c0) spans exactly |ΔW| ≤ B.
                        var half = c0[i] > 0 ? Relative * maxAbs / (2 * c0[i]) : 0;
                        b.Plus[0][i] = half;
                        b.Minus[0][i] = half;
                    }

                    break;
            }

            result[l] = b;
        }

        return result;
    }
}

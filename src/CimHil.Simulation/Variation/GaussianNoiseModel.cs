using System.Globalization;
using CimHil.Core.Config;
using CimHil.Core.Devices;
using CimHil.Core.Numerics;
using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Variation;

/// <summary>
/// The plain Gaussian variation model used for comparison with published numbers: programming noise only, fixed per chip,
/// on the weights (<see cref="GaussianDomain.Weight"/>) or on every device (<see cref="GaussianDomain.Conductance"/>);
/// no read noise, no drift.
/// </summary>
public sealed record GaussianNoiseModel(double SigmaRelative, GaussianDomain Domain = GaussianDomain.Weight) : IDeviceNoiseModel
{
    /// <summary>The registered name; "gaussian-weight" and "gaussian-conductance" pick the domain.</summary>
    public const string Name = "gaussian";

    /// <inheritdoc/>
    public ConductanceWindow? Window => null;

    /// <inheritdoc/>
    public string Describe(VariationSpec spec) =>
        $"gaussian σ_rel={SigmaRelative.ToString("G4", CultureInfo.InvariantCulture)} on {Domain.ToString().ToLowerInvariant()}: programming error, no read noise, no drift, no stuck cells";

    /// <inheritdoc/>
    public bool HasReadNoise(VariationSpec spec) => false;

    /// <inheritdoc/>
    public bool HasDrift(VariationSpec spec) => false;

    /// <inheritdoc/>
    public ProgrammedLayer Program(MappedLayer layer, LayerConductances conductances, VariationSpec spec, SimulationRng rng)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(conductances);
        ArgumentNullException.ThrowIfNull(rng);
        if (Domain == GaussianDomain.Conductance)
        {
            var sdS = SigmaRelative * layer.Window.SpanS;
            for (var s = 0; s < conductances.SliceCount; s++)
            {
                AddNoise(rng, conductances.Plus[s], sdS);
                AddNoise(rng, conductances.Minus[s], sdS);
            }

            return ProgrammedLayer.Exact;
        }

        var sd = WeightSigma(layer);
        var dw = new float[layer.Layer.Weight.Data.Length];
        for (var i = 0; i < dw.Length; i++)
        {
            dw[i] = (float)(sd * rng.NextGaussian());
        }

        return new ProgrammedLayer(dw, 1.0);
    }

    /// <summary>σ of the weight-domain offsets of <paramref name="layer"/>: σ_rel·max|W| (the draws of <see cref="Program"/>).</summary>
    public double WeightSigma(MappedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return SigmaRelative * Norms.MaxAbs(layer.Layer.Weight.Data);
    }

    /// <inheritdoc/>
    public void ReadNoiseSigma(ReadOnlySpan<double> conductanceS, Span<double> sigmaS) => sigmaS.Clear();

    /// <summary>
    /// Parses the argument of "gaussian:σ", "gaussian-weight:σ" or "gaussian-conductance:σ" (<paramref name="kind"/> is the
    /// part before the colon, <paramref name="text"/> the whole argument for error messages).
    /// </summary>
    public static GaussianNoiseModel Parse(string kind, string argument, string text)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var domain = kind.ToLowerInvariant() switch
        {
            "gaussian" or "gaussian-weight" => GaussianDomain.Weight,
            "gaussian-conductance" => GaussianDomain.Conductance,
            _ => throw new ConfigException(string.Empty, $"'{kind.ToLowerInvariant()}' is not a Gaussian model; use gaussian:σ or gaussian-conductance:σ", text),
        };
        if (!double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var sigma) || !(sigma >= 0) || !double.IsFinite(sigma))
        {
            throw new ConfigException(string.Empty, $"relative σ '{argument}' must be a finite number ≥ 0", text);
        }

        return new GaussianNoiseModel(sigma, domain);
    }

    private static void AddNoise(SimulationRng rng, double[] g, double sd)
    {
        for (var i = 0; i < g.Length; i++)
        {
            g[i] += sd * rng.NextGaussian();
        }
    }
}

using System.Globalization;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Writes one chip as ONNX: the network with each crossbar layer's weights replaced by what its mapped conductances compute,
/// decoded back to float weights (W = Σ_s c_s(G⁺_s − G⁻_s), the mapping's own decode). Biases, BatchNorm and every other
/// digital layer keep their nominal values. What plain ONNX cannot express is left out and said in the file's doc_string:
/// read noise (a fresh draw per inference) and ADC/DAC quantisation of the tiled periphery.
/// </summary>
public static class ChipExport
{
    /// <summary>
    /// Writes Monte-Carlo chip <paramref name="chipIndex"/> of the run with <paramref name="seed"/> (programmed exactly as
    /// <see cref="MonteCarlo.MonteCarloEvaluator"/> programs it: programming error, stuck-at cells, drift and drift
    /// compensation included; read noise off).
    /// </summary>
    public static Task MonteCarloChipAsync(string path, MappedNetwork mapped, VariationSpec variation, long seed, int chipIndex, string? sourceModel, bool foldBatchNorm, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(variation);
        var chip = SimulatedChip.Program(mapped, variation, seed, chipIndex);
        var doc = string.Create(CultureInfo.InvariantCulture, $"CimHil Monte-Carlo chip {chipIndex} of seed {seed}; variation {variation.Describe()}; ")
            + Mapping(mapped) + (variation.HasReadNoise ? " Read noise is not in this file (drawn afresh per inference; ONNX weights are fixed)." : " The device model has no read noise.")
            + Common(mapped);
        return WriteAsync(path, mapped, chip.ProgrammedWeights(), sourceModel, foldBatchNorm, doc, cancellationToken);
    }

    /// <summary>Writes the worst-case chip of the Δ file <paramref name="deltaPath"/> (saved by the worst-case search for <paramref name="mapped"/>).</summary>
    public static async Task WorstCaseChipAsync(string path, MappedNetwork mapped, string deltaPath, string? sourceModel, bool foldBatchNorm, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var (delta, meta) = await ConductancePerturbation.LoadAsync(mapped, deltaPath, cancellationToken).ConfigureAwait(false);
        var conductances = delta.ApplyTo(mapped);
        var weights = mapped.Layers.Select((l, i) => l.Decode(conductances[i])).ToArray();
        string Meta(string key) => meta.TryGetValue(key, out var v) ? v : "?";
        var doc = $"CimHil worst-case chip: k = {Meta("k")}, bound {Meta("bound")}, search {Meta("method")}, accuracy {Meta("accuracy")} on {Meta("images")} images "
            + $"(Δ file {Path.GetFileName(deltaPath)}); " + Mapping(mapped) + " Read noise off, as in the search." + Common(mapped);
        await WriteAsync(path, mapped, weights, sourceModel, foldBatchNorm, doc, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the mapped network with <paramref name="weights"/> (one [OutputCount·FanIn] array per mapped layer) in its crossbar layers.</summary>
    public static async Task WriteAsync(string path, MappedNetwork mapped, IReadOnlyList<float[]> weights, string? sourceModel, bool foldBatchNorm, string docString, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != mapped.Layers.Count)
        {
            throw new ArgumentException($"{weights.Count} weight arrays for {mapped.Layers.Count} mapped layers.", nameof(weights));
        }

        // The chip's weights go into the network for the write only; the nominal weights are restored whatever happens.
        var nominal = mapped.Layers.Select(l => (float[])l.Layer.Weight.Data.Clone()).ToArray();
        try
        {
            for (var l = 0; l < weights.Count; l++)
            {
                weights[l].CopyTo(mapped.Layers[l].Layer.Weight.Data, 0);
            }

            await OnnxWriter.WriteAsync(path, mapped.Network, sourceModel, foldBatchNorm, docString, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            for (var l = 0; l < nominal.Length; l++)
            {
                nominal[l].CopyTo(mapped.Layers[l].Layer.Weight.Data, 0);
            }
        }
    }

    private static string Mapping(MappedNetwork mapped) => string.Create(
        CultureInfo.InvariantCulture,
        $"crossbar weights = decoded conductances ({mapped.Options.BitsPerDevice} bits × {mapped.Options.SliceCount} slices per weight, {mapped.DeviceCount} devices).");

    private static string Common(MappedNetwork mapped) =>
        (mapped.Options.NeedsTiledForward ? " ADC/DAC quantisation of the tiled periphery is not in this file: it holds the decoded weights, so its accuracy can differ from CimHil's." : string.Empty)
        + " Biases, BatchNorm and other digital layers are nominal.";
}

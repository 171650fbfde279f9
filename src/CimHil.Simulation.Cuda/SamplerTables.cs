using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// What the device sampler (Kernels/sampler.cu, sample_gaussian_weights) reads besides the chips' streams, built on the host
/// from the CPU's own objects: per layer the noise-free decoded weights, their count and σ_l, and the ziggurat's tables.
/// </summary>
/// <param name="Base">Per layer the weights every chip starts from, [O·K].</param>
/// <param name="Sizes">Per layer O·K.</param>
/// <param name="Sigma">Per layer σ of the Gaussian weight offsets.</param>
/// <param name="Edges">The ziggurat's X[0..128].</param>
/// <param name="Densities">The ziggurat's F[0..128].</param>
public sealed record SamplerTables(float[][] Base, long[] Sizes, double[] Sigma, double[] Edges, double[] Densities)
{
    /// <summary>The tables of <paramref name="mapped"/> under the plain Gaussian weight model <paramref name="gaussian"/>.</summary>
    public static SamplerTables Of(MappedNetwork mapped, GaussianNoiseModel gaussian)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(gaussian);

        // With the weight-domain model a chip's conductances are its targets (GaussianNoiseModel.Program leaves them), so
        // every chip decodes the same noise-free weights: decoded once with the CPU's own MappedLayer.Decode.
        return new SamplerTables(
            [.. mapped.Layers.Select(l => l.Decode(l.Targets))],
            [.. mapped.Layers.Select(l => (long)l.OutputCount * l.FanIn)],
            [.. mapped.Layers.Select(gaussian.WeightSigma)],
            [.. SimulationRng.ZigguratEdges],
            [.. SimulationRng.ZigguratDensities]);
    }
}

using System.Runtime.InteropServices;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// The chips' weights drawn on the GPU (Kernels/sampler.cu, docs/gpu.md "The sampler on the GPU"): for the plain Gaussian
/// weight model each chip's weights are the noise-free decoded weights plus (float)(σ_l·N(0,1)) from stream (seed, chip),
/// drawn by one GPU thread per chip with the CPU's SplitMix64, xoshiro256** and ziggurat, straight into the forward's
/// weight slots: nothing is programmed on the host and nothing is uploaded per launch.
/// </summary>
internal sealed class DeviceSampler : IDisposable
{
    /// <summary>"host" draws every chip on the CPU; "device" or unset: on the GPU where the model allows (the flag --gpu-sampler wins).</summary>
    public const string Variable = "CIMHIL_CUDA_SAMPLER";

    // One warp per block spreads the few chip threads of a launch over the multiprocessors: each thread is a long
    // sequential stream, so latency, not occupancy, bounds it.
    private const uint ThreadsPerBlock = 32;

    private readonly CudaDevice _device;
    private readonly DeviceBuffer[] _base;
    private readonly DeviceBuffer _sizes, _sigma, _edges, _densities, _basePointers;
    private readonly int _layers;
    private DeviceBuffer? _outPointers;
    private IBatchedForward? _outFor;

    private DeviceSampler(CudaDevice device, MappedNetwork mapped, GaussianNoiseModel gaussian)
    {
        _device = device;
        _layers = mapped.Layers.Count;

        var tables = SamplerTables.Of(mapped, gaussian);
        _base = tables.Base.Select(b => Upload(b)).ToArray();
        _basePointers = Upload(_base.Select(b => b.Pointer).ToArray());
        _sizes = Upload(tables.Sizes);
        _sigma = Upload(tables.Sigma);
        _edges = Upload(tables.Edges);
        _densities = Upload(tables.Densities);
    }

    /// <summary>The sampler asked for by <see cref="Variable"/> (the device when unset).</summary>
    public static CudaSampler Requested() =>
        string.Equals(Environment.GetEnvironmentVariable(Variable)?.Trim(), "host", StringComparison.OrdinalIgnoreCase) ? CudaSampler.Host : CudaSampler.Device;

    /// <summary>Why the chips of <paramref name="mapped"/> under <paramref name="variation"/> cannot be drawn on the GPU, or null when they can.</summary>
    public static string? Unsupported(MappedNetwork mapped, VariationSpec variation)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(variation);
        if (mapped.Options.NeedsTiledForward)
        {
            // The converters' forward reads per-slice weights (Converters/ChipSliceWeights), which this sampler does not draw.
            return "the device sampler does not draw the per-slice weights of DAC/ADC converters";
        }

        return variation.Noise is GaussianNoiseModel { Domain: GaussianDomain.Weight }
            ? null
            : $"the device sampler draws the plain Gaussian weight model only, not {variation.Describe()}";
    }

    /// <summary>The sampler for <paramref name="mapped"/> under <paramref name="variation"/>, or null when it cannot draw it (<see cref="Unsupported"/>).</summary>
    public static DeviceSampler? TryCreate(CudaDevice device, MappedNetwork mapped, VariationSpec variation) =>
        Unsupported(mapped, variation) is null ? new DeviceSampler(device, mapped, (GaussianNoiseModel)variation.Noise) : null;

    /// <summary>Queues the weights of chips <paramref name="firstChip"/> … + <paramref name="chips"/> − 1 into slots 0 … of <paramref name="forward"/>.</summary>
    public void Sample(IBatchedForward forward, long seed, int firstChip, int chips)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chips, forward.Groups);
        if (!ReferenceEquals(_outFor, forward))
        {
            _outPointers?.Dispose();
            _outPointers = Upload(Enumerable.Range(0, _layers).Select(l => forward.Weights(l).Pointer).ToArray());
            _outFor = forward;
        }

        _device.Kernels.LaunchBlocks(
            "sample_gaussian_weights", (uint)((chips + ThreadsPerBlock - 1) / ThreadsPerBlock), 1, 1, ThreadsPerBlock,
            seed, firstChip, chips, _layers, _outPointers!.Pointer, _basePointers.Pointer, _sizes.Pointer, _sigma.Pointer, _edges.Pointer, _densities.Pointer);
    }

    public void Dispose()
    {
        foreach (var b in _base)
        {
            b.Dispose();
        }

        _basePointers.Dispose();
        _sizes.Dispose();
        _sigma.Dispose();
        _edges.Dispose();
        _densities.Dispose();
        _outPointers?.Dispose();
    }

    // DeviceBuffer counts 4-byte elements: 8-byte values (addresses, sizes, doubles) go up as pairs of them.
    private static DeviceBuffer Upload<T>(T[] values)
        where T : unmanaged
    {
        var words = MemoryMarshal.Cast<T, uint>(values);
        var buffer = new DeviceBuffer(Math.Max(1, words.Length));
        buffer.Upload<uint>(words);
        return buffer;
    }
}

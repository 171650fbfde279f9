using System.Runtime.InteropServices;
using CimHil.Simulation.Cuda;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.Tests.Cim;
using CimHil.Simulation.Variation;
using CimHil.Tests.Shared;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// The GPU sampler (Kernels/sampler.cu) built for the host by g++ (native/cuda-host/sampler_host.cpp: one thread per chip,
/// the _rn intrinsics as plain IEEE operations, glibc's log and exp as .NET's Math calls them) against the CPU's streams:
/// the normals of <see cref="SimulationRng"/> — tail and wedges included — and each chip's weights from
/// <see cref="SimulatedChip"/> under the Gaussian weight model, bit for bit (docs/gpu.md, "The sampler on the GPU").
/// </summary>
public sealed unsafe class DeviceSamplerHostTests : IDisposable
{
    private static readonly Lazy<string> Library = new(() => NativeStandIn.Build("sampler_host.cpp", "libsampler_host.so", "g++"));

    private static readonly double[] Edges = [.. SimulationRng.ZigguratEdges];
    private static readonly double[] Densities = [.. SimulationRng.ZigguratDensities];

    private readonly IntPtr _handle = NativeLibrary.Load(Library.Value);

    public void Dispose() => NativeLibrary.Free(_handle);

    [Theory]
    [InlineData(1L, 0L, -1L)]
    [InlineData(-7L, 1234L, -1L)]
    [InlineData(20261204L, 3L, 17L)]
    public void Gaussians_EqualSimulationRngsStreamBitForBit_TailIncluded(long seed, long a, long b)
    {
        const int n = 1_000_000;
        var expected = new double[n];
        var rng = new SimulationRng(SimulationRng.Derive(seed, a, b));
        for (var i = 0; i < n; i++)
        {
            expected[i] = rng.NextGaussian();
        }

        var actual = new double[n];
        var run = (delegate* unmanaged<long, long, long, long, double*, double*, double*, void>)NativeLibrary.GetExport(_handle, "run_gaussians");
        fixed (double* zx = Edges, zf = Densities, y = actual)
        {
            run(seed, a, b, n, zx, zf, y);
        }

        var firstDifference = Enumerable.Range(0, n).FirstOrDefault(i => BitConverter.DoubleToInt64Bits(actual[i]) != BitConverter.DoubleToInt64Bits(expected[i]), -1);
        Assert.True(firstDifference < 0, firstDifference < 0 ? null : $"draw {firstDifference}: device {actual[firstDifference]:R}, cpu {expected[firstDifference]:R}");

        // The tail beyond r (log) is ~2.9·10⁻⁴ of the draws per side: the comparison has covered it.
        Assert.InRange(expected.Count(x => Math.Abs(x) > Edges[1]), 300, 900);
    }

    [Theory]
    [InlineData(1L, 0, 3, false)]
    [InlineData(42L, 1000, 5, false)]
    [InlineData(1L, 270, 4, true)]
    public void SampleGaussianWeights_EqualsTheCpuChipsWeightsBitForBit(long seed, int firstChip, int chips, bool cliDefaults)
    {
        // cliDefaults: the mapping and window `gpu check` and `evaluate` use without a config (CimMappingOptions' defaults,
        // VariationSpec.Parse's window), else a 4-bit mapping into the test window.
        var network = ModelZoo.CreateLeNet5(3);
        var spec = VariationSpec.Parse("gaussian:0.1");
        var mapped = cliDefaults
            ? MappedNetwork.Map(network, new CimMappingOptions().Validate(), spec.Window)
            : MappedNetwork.Map(network, new CimMappingOptions { BitsPerDevice = 4 }, CimTestModels.Window);
        var tables = SamplerTables.Of(mapped, spec.Gaussian!);
        var layers = mapped.Layers.Count;
        var (sizes, bases, sigma) = (tables.Sizes, tables.Base, tables.Sigma);
        var outs = sizes.Select(s => new float[s * chips]).ToArray();
        var handles = bases.Concat(outs).Select(a => GCHandle.Alloc(a, GCHandleType.Pinned)).ToArray();
        try
        {
            var basePointers = handles.Take(layers).Select(h => (ulong)h.AddrOfPinnedObject()).ToArray();
            var outPointers = handles.Skip(layers).Select(h => (ulong)h.AddrOfPinnedObject()).ToArray();
            var run = (delegate* unmanaged<long, int, int, int, ulong*, ulong*, long*, double*, double*, double*, void>)NativeLibrary.GetExport(_handle, "run_sample_gaussian_weights");
            fixed (ulong* o = outPointers, bp = basePointers)
            fixed (long* sz = sizes)
            fixed (double* sd = sigma, zx = Edges, zf = Densities)
            {
                run(seed, firstChip, chips, layers, o, bp, sz, sd, zx, zf);
            }
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }

        for (var c = 0; c < chips; c++)
        {
            var expected = SimulatedChip.Program(mapped, spec, seed, firstChip + c).ProgrammedWeights();
            for (var l = 0; l < layers; l++)
            {
                var actual = outs[l].AsSpan((int)(c * sizes[l]), (int)sizes[l]).ToArray();
                Assert.Equal(expected[l].Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            }
        }

        // Not the noise-free weights: the draws moved them.
        Assert.NotEqual(bases[0].Select(BitConverter.SingleToInt32Bits), outs[0].AsSpan(0, (int)sizes[0]).ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>
    /// The GPU build of the ziggurat gave wrong draws when inlined into the 32-thread kernel (2026-12-04, H200, CUDA 13.0;
    /// bench/gpu/sampler_probe.cu), right ones out of line: CI has no GPU, so it holds the source NVRTC compiles to that.
    /// </summary>
    [Fact]
    public void EmbeddedSampler_KeepsTheZigguratOutOfLine()
    {
        using var stream = typeof(CudaMonteCarlo).Assembly.GetManifestResourceStream("CimHil.Simulation.Cuda.sampler.cu");
        Assert.NotNull(stream);
        var source = new StreamReader(stream).ReadToEnd();
        Assert.Matches(@"__device__\s+__noinline__\s+double\s+smp_gaussian\(", source);
        Assert.DoesNotMatch(@"__forceinline__\s+double\s+smp_gaussian\(", source);
    }
}

using CimHil.Simulation.Cuda.Kernels;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using Step = CimHil.Simulation.MonteCarlo.InferencePlan.Step;
using StepKind = CimHil.Simulation.MonteCarlo.InferencePlan.StepKind;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// Runs an <see cref="InferencePlan"/>'s steps on the GPU for G chips at once over one chunk of resident test images, and
/// adds each chip's correct top-1 count on the device. Per chip the activations are CNHW channel planes, as on the CPU; a
/// convolution is im2col + one cuBLAS strided-batched GEMM over the chips (the first layer's columns are unfolded once and
/// shared: stride 0), a linear layer one strided-batched GEMM; bias, ReLU and a following max-pool are one kernel.
/// <see cref="Converters.TiledForward"/> walks the same chain with its own products (the tiled forward with converters).
/// </summary>
internal class BatchedForward : ChipBatchForward
{
    private readonly IReadOnlyList<Step> _steps;
    private readonly DeviceBuffer?[] _biases;
    private readonly DeviceBuffer _a;
    private readonly DeviceBuffer _b;

    public BatchedForward(CudaDevice device, InferencePlan plan, int groups, int chunk)
        : this(device, plan, plan.Network.WeightedLayers.Select(l => (long)l.Weight.Length), groups, chunk, PerImage(plan))
    {
    }

    /// <param name="device">The GPU.</param>
    /// <param name="plan">The chain.</param>
    /// <param name="weightsPerChip">Floats of each weighted layer of one chip.</param>
    /// <param name="groups">Chips per launch.</param>
    /// <param name="chunk">Images per chunk.</param>
    /// <param name="perImage">Floats per image: the largest activation, the per-chip and the shared unfolded columns.</param>
    private protected BatchedForward(CudaDevice device, InferencePlan plan, IEnumerable<long> weightsPerChip, int groups, int chunk, (long Activation, long Columns, long Shared) perImage)
        : base(device, weightsPerChip, groups, chunk, perImage.Columns, perImage.Shared, plan.Network.ClassCount)
    {
        _steps = plan.Steps;
        _biases = plan.Network.WeightedLayers.Select(l => l.Bias is { } b ? Upload(b.Data) : null).ToArray();
        _a = new DeviceBuffer((long)groups * chunk * perImage.Activation);
        _b = new DeviceBuffer((long)groups * chunk * perImage.Activation);
    }

    /// <summary>Bytes of device memory per chip and image (the two activation buffers and the unfolded columns).</summary>
    public static long BytesPerChipImage(InferencePlan plan)
    {
        var (activation, columns, _) = PerImage(plan);
        return 4L * ((2 * activation) + columns);
    }

    private protected override ulong Forward(ResidentTestSet data, ulong input, int n, int groups, PhaseProfile? profile)
    {
        var k = Device.Kernels;
        ulong cur = 0;
        var shared = true;
        var flat = false;
        if (_steps[0].Kind != StepKind.Conv)
        {
            k.Launch("broadcast_input", (long)data.Channels * n * data.PlaneSize, groups, input, data.ChannelStride, _a.Pointer, data.Channels, n, data.PlaneSize);
            cur = _a.Pointer;
            shared = false;
        }

        var stepStart = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < _steps.Count; i++)
        {
            if (profile is not null)
            {
                // Profiling: each step synchronised and timed alone (PhaseProfile).
                Device.Synchronize();
                stepStart = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            var first = i;
            var s = _steps[i];
            var other = cur == _a.Pointer ? _b.Pointer : _a.Pointer;
            var pool = s.Kind == StepKind.Conv ? DirectPool(s, i + 1 < _steps.Count ? _steps[i + 1] : null) : 0;
            switch (s.Kind)
            {
                case StepKind.Conv when pool > 0:
                    {
                        var conv = (Conv2d)s.Layer!;
                        var (ph, pw) = pool == 2 ? (_steps[i + 1].OutH, _steps[i + 1].OutW) : (s.OutH, s.OutW);
                        var y = shared ? _a.Pointer : other;
                        var groupStride = shared ? 0L : (long)s.InC * n * s.InH * s.InW;
                        var channelStride = shared ? data.ChannelStride : (long)n * s.InH * s.InW;
                        var ob = KernelModule.ChannelsPerThread.First(c => c <= MaxChannelsPerThread && s.OutC % c == 0);
                        k.LaunchGrid3D(
                            $"conv_k{conv.Kernel}_p{pool}_o{ob}",
                            (uint)((((long)n * ph * pw) + 255) / 256),
                            (uint)groups,
                            (uint)(s.OutC / ob),
                            shared ? input : cur,
                            groupStride,
                            channelStride,
                            WeightsOf(s.WeightIndex),
                            _biases[s.WeightIndex]?.Pointer ?? 0UL,
                            y,
                            s.InC,
                            n,
                            s.InH,
                            s.InW,
                            conv.Padding,
                            s.OutC,
                            ph,
                            pw,
                            s.Relu ? 1 : 0);
                        i += pool == 2 ? 1 : 0;
                        cur = y;
                        shared = false;
                        break;
                    }

                case StepKind.Conv:
                    {
                        var conv = (Conv2d)s.Layer!;
                        var kk = s.InC * conv.Kernel * conv.Kernel;
                        var m = n * s.OutH * s.OutW;
                        ulong cols;
                        long colStride;
                        if (shared)
                        {
                            cols = SharedColumns!.Pointer;
                            colStride = 0;
                            k.Launch("im2col", (long)kk * m, 1, input, 0L, data.ChannelStride, cols, s.InC, n, s.InH, s.InW, conv.Kernel, conv.Stride, conv.Padding, s.OutH, s.OutW);
                        }
                        else
                        {
                            cols = Columns!.Pointer;
                            colStride = (long)kk * m;
                            k.Launch("im2col", (long)kk * m, groups, cur, (long)s.InC * n * s.InH * s.InW, (long)n * s.InH * s.InW, cols, s.InC, n, s.InH, s.InW, conv.Kernel, conv.Stride, conv.Padding, s.OutH, s.OutW);
                        }

                        var y = shared ? _a.Pointer : other;
                        Product(s, cols, colStride, shared ? 1 : groups, m, y, groups);
                        var bias = _biases[s.WeightIndex]?.Pointer ?? 0UL;
                        if (i + 1 < _steps.Count && _steps[i + 1].Kind == StepKind.MaxPool)
                        {
                            var p = _steps[++i];
                            var pooled = y == _a.Pointer ? _b.Pointer : _a.Pointer;
                            k.Launch("pool_bias_relu", (long)s.OutC * n * p.OutH * p.OutW, groups, y, pooled, bias, s.OutC, n, s.OutH, s.OutW, p.PoolKernel, p.PoolStride, p.OutH, p.OutW, s.Relu ? 1 : 0);
                            cur = pooled;
                        }
                        else
                        {
                            BiasRelu(y, bias, s.OutC, m, s.Relu, groups);
                            cur = y;
                        }

                        shared = false;
                        break;
                    }

                case StepKind.MaxPool:
                    k.Launch("pool_bias_relu", (long)s.InC * n * s.OutH * s.OutW, groups, cur, other, 0UL, s.InC, n, s.InH, s.InW, s.PoolKernel, s.PoolStride, s.OutH, s.OutW, 0);
                    cur = other;
                    break;
                case StepKind.Relu:
                    BiasRelu(cur, 0UL, 1, s.InC * s.InH * s.InW * n, true, groups);
                    break;
                case StepKind.Linear:
                    {
                        if (!flat)
                        {
                            var f = s.FlattenedFrom ?? (s.InC, 1, 1);
                            k.Launch("flatten", (long)f.C * n * f.H * f.W, groups, cur, other, f.C, n, f.H * f.W);
                            (cur, other) = (other, cur);
                            flat = true;
                        }

                        // Feature-major Xᵀ[in, n] per chip: the same [K][m] operand as a convolution's columns, with m = n.
                        Product(s, cur, (long)s.InC * n, groups, n, other, groups);
                        BiasRelu(other, _biases[s.WeightIndex]?.Pointer ?? 0UL, s.OutC, n, s.Relu, groups);
                        cur = other;
                        break;
                    }
            }

            if (profile is not null)
            {
                Device.Synchronize();
                profile.Add($"gpu: step {first} {s.Kind} {s.InC}→{s.OutC}{(i > first ? " + pool" : "")}{StepLabel}", stepStart);
            }
        }

        return cur;
    }

    /// <summary>Appended to each step's profile label.</summary>
    private protected virtual string StepLabel => string.Empty;

    /// <summary>
    /// The direct kernel's pool size for convolution <paramref name="conv"/> (2: the following 2×2/2 max-pool fused; 1: none
    /// follows), or 0 when it runs as im2col + <see cref="Product"/>.
    /// </summary>
    private protected virtual int DirectPool(Step conv, Step? next) => Direct(conv, next);

    /// <summary>
    /// Weighted layer <paramref name="s"/>'s product without bias: y[g][O][m] from x[g][K][m] (<paramref name="xGroups"/> of
    /// them at stride <paramref name="xStride"/>; 1 at stride 0: the network input's columns, read by every chip).
    /// </summary>
    private protected virtual void Product(Step s, ulong x, long xStride, int xGroups, int m, ulong y, int groups)
    {
        // Row-major Y[O, m] = W[O, K]·X[K, m] is column-major Yᵀ = Xᵀ·Wᵀ: cuBLAS sees (m × K)·(K × O).
        var fanIn = (int)(s.Layer!.Weight.Length / s.OutC);
        Gemm(m, s.OutC, fanIn, x, m, xStride, WeightsOf(s.WeightIndex), fanIn, (long)s.OutC * fanIn, y, m, (long)s.OutC * m, groups);
    }

    private protected override void DisposeBuffers()
    {
        foreach (var b in _biases)
        {
            b?.Dispose();
        }

        _a.Dispose();
        _b.Dispose();
    }

    // Floats per image: the largest activation (input or output of any step), the largest unfolded convolution input of the
    // GEMM-path convolutions after the first, and the first one's (shared by all chips); direct convolutions unfold nothing
    // (none is direct for the tiled forward: directConvolutions false).
    private protected static (long Activation, long Columns, long Shared) PerImage(InferencePlan plan, bool directConvolutions = true)
    {
        long activation = 0, columns = 0, shared = 0;
        var steps = plan.Steps;
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            activation = Math.Max(activation, Math.Max((long)s.InC * s.InH * s.InW, (long)s.OutC * s.OutH * s.OutW));
            if (s.Kind == StepKind.Conv && (!directConvolutions || Direct(s, i + 1 < steps.Count ? steps[i + 1] : null) == 0))
            {
                var conv = (Conv2d)s.Layer!;
                var c = (long)s.InC * conv.Kernel * conv.Kernel * s.OutH * s.OutW;
                if (i == 0)
                {
                    shared = c;
                }
                else
                {
                    columns = Math.Max(columns, c);
                }
            }
        }

        return (activation, columns, shared);
    }

    /// <summary>Set to "gemm" to run every convolution as im2col + cuBLAS (the comparison in docs/gpu.md).</summary>
    public const string ConvolutionVariable = "CIMHIL_CUDA_CONV";

    /// <summary>Caps the output channels per thread of the direct convolution (1: the one-channel kernel; the comparison in docs/gpu.md).</summary>
    public const string ChannelsPerThreadVariable = "CIMHIL_CUDA_CONV_CHANNELS";

    private static readonly int MaxChannelsPerThread =
        int.TryParse(Environment.GetEnvironmentVariable(ChannelsPerThreadVariable), out var c) && c > 0 ? c : int.MaxValue;

    private static readonly bool GemmOnly = Environment.GetEnvironmentVariable(ConvolutionVariable) == "gemm";

    // The direct kernel's pool size for a stride-1 3×3 or 5×5 convolution (2: a 2×2/2 max-pool follows and is fused; 1: none
    // follows), or 0 when the convolution runs as im2col + GEMM.
    private static int Direct(Step conv, Step? next)
    {
        var layer = (Conv2d)conv.Layer!;
        if (GemmOnly || layer.Stride != 1 || layer.Kernel is not (3 or 5))
        {
            return 0;
        }

        if (next is { Kind: StepKind.MaxPool })
        {
            return next.PoolKernel == 2 && next.PoolStride == 2 ? 2 : 0;
        }

        return 1;
    }

    private void BiasRelu(ulong y, ulong bias, int channels, int m, bool relu, int groups)
    {
        if (bias != 0 || relu)
        {
            Device.Kernels.Launch("bias_relu", (long)channels * m, groups, y, bias, channels, m, relu ? 1 : 0);
        }
    }
}

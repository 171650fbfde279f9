using System.Runtime.InteropServices;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using StepKind = CimHil.Simulation.MonteCarlo.InferencePlan.StepKind;

namespace CimHil.Simulation.Cuda.Converters;

/// <summary>
/// <see cref="CrossbarForward"/> on the GPU for G chips at once: an <see cref="InferencePlan"/> chain whose weighted layers run
/// per crossbar tile with DAC/ADC converters (docs/gpu.md, "Converters"). Per layer: the input unfolded (im2col; the network
/// input once for all chips) or flattened, DAC-quantised per row tile in place; per row tile and slice one strided-batched
/// product over the chips into a scratch, ADC-quantised per column tile and added to the layer's sum (row tiles outer, slices
/// inner, as the CPU), times the chip's output factor; then bias, ReLU and a following max-pool as <see cref="BatchedForward"/>.
/// The direct convolution kernels are not used: the quantised, unfolded input is the product's operand.
/// </summary>
internal sealed class TiledForward : ChipBatchForward
{
    private readonly IReadOnlyList<InferencePlan.Step> _steps;
    private readonly ConverterTiling _tiling;
    private readonly DeviceBuffer?[] _biases;
    private readonly DeviceBuffer _a;
    private readonly DeviceBuffer _b;
    private readonly DeviceBuffer _part;
    private readonly DeviceBuffer _factors;
    private readonly DeviceBuffer _adc;

    public TiledForward(CudaDevice device, InferencePlan plan, ConverterTiling tiling, int groups, int chunk)
        : this(device, plan, tiling, groups, chunk, PerImage(plan))
    {
    }

    private TiledForward(CudaDevice device, InferencePlan plan, ConverterTiling tiling, int groups, int chunk, (long Activation, long Columns, long Shared, long Part) perImage)
        : base(device, tiling.Layers.Select(l => (long)l.Slices * l.Outputs * l.FanIn), groups, chunk, perImage.Columns, perImage.Shared, plan.Network.ClassCount)
    {
        _steps = plan.Steps;
        _tiling = tiling;
        _biases = plan.Network.WeightedLayers.Select(l => l.Bias is { } b ? Upload(b.Data) : null).ToArray();
        _a = new DeviceBuffer((long)groups * chunk * perImage.Activation);
        _b = new DeviceBuffer((long)groups * chunk * perImage.Activation);
        _part = new DeviceBuffer((long)groups * chunk * perImage.Part);
        _factors = new DeviceBuffer((long)tiling.Layers.Count * groups);
        double[] adc = [.. tiling.AdcTable, 0, 0];
        _adc = new DeviceBuffer(2L * adc.Length);
        _adc.Upload<float>(MemoryMarshal.Cast<double, float>(adc.AsSpan()));
    }

    /// <summary>Bytes of device memory per chip and image (two activation buffers, the unfolded columns, the partial-sum scratch).</summary>
    public static long BytesPerChipImage(InferencePlan plan)
    {
        var (activation, columns, _, part) = PerImage(plan);
        return 4L * ((2 * activation) + columns + part);
    }

    /// <summary>Uploads layer <paramref name="layer"/>'s output factor of each chip (float; 1 where the chip has none).</summary>
    public void UploadFactors(int layer, ReadOnlySpan<float> factors) => _factors.Upload(factors, (long)layer * Groups);

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

        for (var i = 0; i < _steps.Count; i++)
        {
            var stepStart = profile is null ? 0 : Synchronized();
            var first = i;
            var s = _steps[i];
            var other = cur == _a.Pointer ? _b.Pointer : _a.Pointer;
            switch (s.Kind)
            {
                case StepKind.Conv:
                    {
                        var conv = (Conv2d)s.Layer!;
                        var kk = s.InC * conv.Kernel * conv.Kernel;
                        var m = n * s.OutH * s.OutW;
                        var (cols, colStride, colGroups) = shared ? (SharedColumns!.Pointer, 0L, 1) : (Columns!.Pointer, (long)kk * m, groups);
                        k.Launch("im2col", (long)kk * m, colGroups, shared ? input : cur, shared ? 0L : (long)s.InC * n * s.InH * s.InW, shared ? data.ChannelStride : (long)n * s.InH * s.InW, cols, s.InC, n, s.InH, s.InW, conv.Kernel, conv.Stride, conv.Padding, s.OutH, s.OutW);
                        var y = shared ? _a.Pointer : other;
                        Crossbar(s.WeightIndex, cols, colStride, colGroups, m, y, groups);
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

                        // Feature-major Xᵀ[in, n] per chip: row tile t is rows k0 … k0 + kt − 1, contiguous as the columns are.
                        Crossbar(s.WeightIndex, cur, (long)s.InC * n, groups, n, other, groups);
                        BiasRelu(other, _biases[s.WeightIndex]?.Pointer ?? 0UL, s.OutC, n, s.Relu, groups);
                        cur = other;
                        break;
                    }
            }

            if (profile is not null)
            {
                Device.Synchronize();
                profile.Add($"gpu: step {first} {s.Kind} {s.InC}→{s.OutC}{(i > first ? " + pool" : "")} (tiled)", stepStart);
            }
        }

        return cur;
    }

    private protected override void DisposeBuffers()
    {
        foreach (var b in _biases)
        {
            b?.Dispose();
        }

        _a.Dispose();
        _b.Dispose();
        _part.Dispose();
        _factors.Dispose();
        _adc.Dispose();
    }

    // The tiled product of mapped layer l: x is [K][m] per chip (stride xStride, xGroups of them: 1 for the shared network
    // input), quantised in place per row tile by the DAC; y [O][m] per chip receives Σ_t Σ_s ADC(X_t·W_{t,s}ᵀ), × factor.
    private void Crossbar(int l, ulong x, long xStride, int xGroups, int m, ulong y, int groups)
    {
        var layer = _tiling.Layers[l];
        var k = Device.Kernels;
        var maxCode = _tiling.AdcMaxCode(l);
        var sliceStride = (long)layer.Outputs * layer.FanIn;
        for (var t = 0; t < layer.RowTiles.Count; t++)
        {
            var tile = layer.RowTiles[t];
            var rows = x + (4UL * (ulong)tile.FirstRow * (ulong)m);
            if (tile.Dac is { } dac)
            {
                k.Launch("dac_quantize", (long)tile.Rows * m, xGroups, rows, (long)tile.Rows * m, xStride, dac.Step, dac.Inverse, dac.MaxCode);
            }

            for (var s = 0; s < layer.Slices; s++)
            {
                // Row-major part[O, m] = W_s[:, k0 …][O, kt]·X[k0 …, m] is column-major partᵀ = Xᵀ·W_sᵀ: (m × kt)·(kt × O), the
                // weights read in place at column k0 of W_s with leading dimension K.
                var w = WeightsOf(l) + (4UL * (ulong)((s * sliceStride) + tile.FirstRow));
                Gemm(m, layer.Outputs, tile.Rows, rows, m, xStride, w, layer.FanIn, layer.Slices * sliceStride, _part.Pointer, m, (long)layer.Outputs * m, groups);
                var last = t == layer.RowTiles.Count - 1 && s == layer.Slices - 1;
                k.Launch(
                    "adc_accumulate",
                    (long)layer.Outputs * m,
                    groups,
                    _part.Pointer,
                    y,
                    layer.Outputs,
                    m,
                    layer.TileColumns,
                    _adc.Pointer + (8UL * (ulong)_tiling.AdcOffset(l, t, s)),
                    maxCode,
                    t == 0 && s == 0 ? 1 : 0,
                    last ? _factors.Pointer + (4UL * (ulong)(l * Groups)) : 0UL);
            }
        }
    }

    private long Synchronized()
    {
        Device.Synchronize();
        return System.Diagnostics.Stopwatch.GetTimestamp();
    }

    // Floats per image: the largest activation, the largest unfolded input of the convolutions after the first (per chip), the
    // first one's (shared by all chips) and the largest layer output (the partial-sum scratch). Every convolution unfolds here.
    private static (long Activation, long Columns, long Shared, long Part) PerImage(InferencePlan plan)
    {
        long activation = 0, columns = 0, shared = 0, part = 0;
        var steps = plan.Steps;
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            activation = Math.Max(activation, Math.Max((long)s.InC * s.InH * s.InW, (long)s.OutC * s.OutH * s.OutW));
            if (s.Kind is StepKind.Conv or StepKind.Linear)
            {
                part = Math.Max(part, (long)s.OutC * s.OutH * s.OutW);
            }

            if (s.Kind == StepKind.Conv)
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

        return (activation, columns, shared, part);
    }

    private void BiasRelu(ulong y, ulong bias, int channels, int m, bool relu, int groups)
    {
        if (bias != 0 || relu)
        {
            Device.Kernels.Launch("bias_relu", (long)channels * m, groups, y, bias, channels, m, relu ? 1 : 0);
        }
    }
}

using System.Runtime.InteropServices;
using CimHil.Simulation.MonteCarlo;
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
internal sealed class TiledForward : BatchedForward
{
    private readonly ConverterTiling _tiling;
    private readonly DeviceBuffer _part;
    private readonly DeviceBuffer _factors;
    private readonly DeviceBuffer _adc;

    public TiledForward(CudaDevice device, InferencePlan plan, ConverterTiling tiling, int groups, int chunk)
        : this(device, plan, tiling, groups, chunk, TiledPerImage(plan))
    {
    }

    private TiledForward(CudaDevice device, InferencePlan plan, ConverterTiling tiling, int groups, int chunk, (long Activation, long Columns, long Shared, long Part) perImage)
        : base(device, plan, tiling.Layers.Select(l => (long)l.Slices * l.Outputs * l.FanIn), groups, chunk, (perImage.Activation, perImage.Columns, perImage.Shared))
    {
        _tiling = tiling;
        _part = new DeviceBuffer((long)groups * chunk * perImage.Part);
        _factors = new DeviceBuffer((long)tiling.Layers.Count * groups);
        double[] adc = [.. tiling.AdcTable, 0, 0];
        _adc = new DeviceBuffer(2L * adc.Length);
        _adc.Upload<float>(MemoryMarshal.Cast<double, float>(adc.AsSpan()));
    }

    /// <summary>Bytes of device memory per chip and image (two activation buffers, the unfolded columns, the partial-sum scratch).</summary>
    public static new long BytesPerChipImage(InferencePlan plan)
    {
        var (activation, columns, _, part) = TiledPerImage(plan);
        return 4L * ((2 * activation) + columns + part);
    }

    /// <summary>Uploads layer <paramref name="layer"/>'s output factor of each chip (float; 1 where the chip has none).</summary>
    public void UploadFactors(int layer, ReadOnlySpan<float> factors) => _factors.Upload(factors, (long)layer * Groups);

    private protected override string StepLabel => " (tiled)";

    // The direct kernels cannot be used: the quantised, unfolded input is the product's operand.
    private protected override int DirectPool(InferencePlan.Step conv, InferencePlan.Step? next) => 0;

    private protected override void Product(InferencePlan.Step s, ulong x, long xStride, int xGroups, int m, ulong y, int groups) =>
        Crossbar(s.WeightIndex, x, xStride, xGroups, m, y, groups);

    private protected override void DisposeBuffers()
    {
        base.DisposeBuffers();
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

    // Floats per image: the chain's buffers with every convolution unfolded, and the largest layer output (the scratch).
    private static (long Activation, long Columns, long Shared, long Part) TiledPerImage(InferencePlan plan)
    {
        var (activation, columns, shared) = BatchedForward.PerImage(plan, directConvolutions: false);
        var part = plan.Steps.Where(s => s.Kind is StepKind.Conv or StepKind.Linear).Max(s => (long)s.OutC * s.OutH * s.OutW);
        return (activation, columns, shared, part);
    }
}

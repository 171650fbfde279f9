using CimHil.Core.Numerics;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Mapping;

/// <summary>Uniform signed converter (DAC or ADC) with 2^bits − 1 symmetric levels over [−range, range].</summary>
public static class Converter
{
    /// <summary>The level spacing: range / (2^(bits−1) − 1).</summary>
    public static double Step(double range, int bits) => range / ((1 << (bits - 1)) - 1);

    /// <summary>
    /// Rounds each value to the nearest level and clips to ±range; inside the range the error is at most half a step (LSB/2).
    /// A zero range maps everything to 0.
    /// </summary>
    public static void Quantize(Span<float> values, double range, int bits)
    {
        var max = (1 << (bits - 1)) - 1;
        var step = Step(range, bits);
        if (!(step > 0))
        {
            values.Clear();
            return;
        }

        var inv = 1.0 / step;
        for (var i = 0; i < values.Length; i++)
        {
            var code = Math.Clamp(Math.Round(values[i] * inv, MidpointRounding.AwayFromZero), -max, max);
            values[i] = (float)(code * step);
        }
    }
}

/// <summary>Converter full-scale ranges of a mapped network: DAC per (layer, row tile), ADC per (layer, row tile, column tile, slice).</summary>
public sealed class PeripheryRanges
{
    private PeripheryRanges(double[][] dac, double[][][][] adc)
    {
        Dac = dac;
        Adc = adc;
    }

    /// <summary>DAC range per layer and row tile (input units).</summary>
    public double[][] Dac { get; }

    /// <summary>ADC range per layer, row tile, column tile and slice (output units of that slice's partial sum).</summary>
    public double[][][][] Adc { get; }

    internal static PeripheryRanges Create(MappedNetwork mapped)
    {
        var o = mapped.Options;
        var dac = new double[mapped.Layers.Count][];
        var adc = new double[mapped.Layers.Count][][][];
        for (var l = 0; l < mapped.Layers.Count; l++)
        {
            var layer = mapped.Layers[l];
            var rowTiles = (layer.FanIn + o.TileRows - 1) / o.TileRows;
            var colTiles = (layer.OutputCount + o.TileColumns - 1) / o.TileColumns;
            dac[l] = new double[rowTiles];
            adc[l] = new double[rowTiles][][];
            for (var t = 0; t < rowTiles; t++)
            {
                adc[l][t] = new double[colTiles][];
                for (var c = 0; c < colTiles; c++)
                {
                    adc[l][t][c] = new double[layer.SliceCount];
                }
            }
        }

        return new PeripheryRanges(dac, adc);
    }

    internal void ApplyHeadroom(double headroom)
    {
        foreach (var d in Dac)
        {
            for (var i = 0; i < d.Length; i++)
            {
                d[i] *= headroom;
            }
        }

        foreach (var layer in Adc)
        {
            foreach (var tile in layer)
            {
                foreach (var col in tile)
                {
                    for (var s = 0; s < col.Length; s++)
                    {
                        col[s] *= headroom;
                    }
                }
            }
        }
    }
}

/// <summary>
/// The crossbar forward per tile: inputs unfolded (im2col for convolutions), DAC-quantised per row tile, multiplied by each
/// slice's weights tile by tile (one GEMM per row tile and slice), each partial sum ADC-quantised per column tile and
/// accumulated digitally (shift-and-add is inside the slice weights), then scaled by an optional per-layer factor
/// (global drift compensation). Plugs into the engine through <see cref="ForwardContext"/>'s input/output hooks.
/// </summary>
public sealed class CrossbarForward
{
    private readonly MappedNetwork _mapped;
    private readonly PeripheryRanges _ranges;
    private readonly bool _calibrate;
    private readonly Dictionary<IWeightedLayer, int> _index = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the forward for a mapped network with calibrated ranges (or, with <paramref name="calibrate"/>, records them).</summary>
    public CrossbarForward(MappedNetwork mapped, PeripheryRanges ranges, bool calibrate = false)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(ranges);
        _mapped = mapped;
        _ranges = ranges;
        _calibrate = calibrate;
        for (var i = 0; i < mapped.Layers.Count; i++)
        {
            _index[mapped.Layers[i].Layer] = i;
        }
    }

    /// <summary>
    /// A context for one forward pass (not shared between threads): <paramref name="sliceWeights"/>[layer][slice] are the
    /// per-slice matrices W_s, <paramref name="outputFactors"/>[layer] an optional digital output scale.
    /// </summary>
    public ForwardContext Context(float[][][] sliceWeights, double[]? outputFactors)
    {
        ArgumentNullException.ThrowIfNull(sliceWeights);
        var captured = new Tensor?[_mapped.Layers.Count];
        return new ForwardContext
        {
            InputTransform = (layer, x) =>
            {
                captured[_index[layer]] = x;
                return x;
            },
            OutputTransform = (layer, _) =>
            {
                var l = _index[layer];
                var x = captured[l] ?? throw new InvalidOperationException($"Layer '{layer.Path}': no input captured before its output hook.");
                captured[l] = null;
                return Compute(l, x, sliceWeights[l], outputFactors?[l] ?? 1.0);
            },
        };
    }

    /// <summary>The tiled product of layer <paramref name="layerIndex"/> for input x (without bias).</summary>
    public Tensor Compute(int layerIndex, Tensor x, float[][] sliceWeights, double outputFactor)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sliceWeights);
        var mapped = _mapped.Layers[layerIndex];
        var layer = mapped.Layer;
        var o = _mapped.Options;
        int k = layer.FanIn, outCount = layer.OutputCount;

        // Unfold the input to X [M, K], one row per output position.
        float[] xm;
        int m, batch = x.Dim(0), positions = 1, oh = 1, ow = 1;
        if (layer is Conv2d conv)
        {
            int c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
            oh = ((h + (2 * conv.Padding) - conv.Kernel) / conv.Stride) + 1;
            ow = ((w + (2 * conv.Padding) - conv.Kernel) / conv.Stride) + 1;
            positions = oh * ow;
            m = batch * positions;
            xm = new float[m * k];
            Unfold(x.Data, batch, c, h, w, conv.Kernel, conv.Stride, conv.Padding, oh, ow, xm);
        }
        else if (layer.Kind == WeightedLayerKind.Conv2d)
        {
            // An imported grouped/dilated convolution (Onnx.GeneralConv2d): its unfolding is not implemented here.
            throw new NotSupportedException($"Layer '{layer.Path}' ({((Module)layer).Describe()}): ADC/DAC tiles (adcBits/dacBits) support plain convolutions only; evaluate it without converters.");
        }
        else
        {
            m = batch;
            xm = (float[])x.Data.Clone();
        }

        var rowTiles = (k + o.TileRows - 1) / o.TileRows;
        var colTiles = (outCount + o.TileColumns - 1) / o.TileColumns;
        var dac = _ranges.Dac[layerIndex];
        for (var t = 0; t < rowTiles; t++)
        {
            var k0 = t * o.TileRows;
            var kt = Math.Min(o.TileRows, k - k0);
            for (var r = 0; r < m; r++)
            {
                var seg = xm.AsSpan((r * k) + k0, kt);
                if (_calibrate)
                {
                    dac[t] = Math.Max(dac[t], Norms.MaxAbs(seg));
                }
                else if (o.DacBits is { } db)
                {
                    Converter.Quantize(seg, dac[t], db);
                }
            }
        }

        var y = new float[m * outCount];
        var tmp = new float[m * outCount];
        for (var t = 0; t < rowTiles; t++)
        {
            var k0 = t * o.TileRows;
            var kt = Math.Min(o.TileRows, k - k0);
            for (var s = 0; s < sliceWeights.Length; s++)
            {
                Gemm.Multiply(false, true, m, outCount, kt, 1f, xm.AsSpan(k0), k, sliceWeights[s].AsSpan(k0), k, 0f, tmp, outCount);
                for (var ct = 0; ct < colTiles; ct++)
                {
                    var c0 = ct * o.TileColumns;
                    var cn = Math.Min(o.TileColumns, outCount - c0);
                    var adc = _ranges.Adc[layerIndex][t][ct];
                    for (var r = 0; r < m; r++)
                    {
                        var seg = tmp.AsSpan((r * outCount) + c0, cn);
                        if (_calibrate)
                        {
                            adc[s] = Math.Max(adc[s], Norms.MaxAbs(seg));
                        }
                        else if (o.AdcBits is { } ab)
                        {
                            Converter.Quantize(seg, adc[s], ab);
                        }
                    }
                }

                System.Numerics.Tensors.TensorPrimitives.Add(y, tmp, y);
            }
        }

        if (outputFactor != 1.0)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(y, (float)outputFactor, y);
        }

        if (layer is not Conv2d)
        {
            return new Tensor(y, batch, outCount);
        }

        // [N·P, O] → [N, O, OH, OW].
        var result = new float[batch * outCount * positions];
        for (var n = 0; n < batch; n++)
        {
            for (var p = 0; p < positions; p++)
            {
                var src = ((n * positions) + p) * outCount;
                for (var oc = 0; oc < outCount; oc++)
                {
                    result[(((n * outCount) + oc) * positions) + p] = y[src + oc];
                }
            }
        }

        return new Tensor(result, batch, outCount, oh, ow);
    }

    /// <summary>Patch-major im2col: row (n, oy, ox), column (c, ki, kj) — the order of the flattened conv weight.</summary>
    internal static void Unfold(float[] x, int batch, int channels, int h, int w, int kernel, int stride, int padding, int oh, int ow, float[] cols)
    {
        var k = channels * kernel * kernel;
        for (var n = 0; n < batch; n++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    var row = ((((n * oh) + oy) * ow) + ox) * k;
                    var col = 0;
                    for (var c = 0; c < channels; c++)
                    {
                        var plane = ((n * channels) + c) * h * w;
                        for (var ki = 0; ki < kernel; ki++)
                        {
                            var iy = (oy * stride) - padding + ki;
                            for (var kj = 0; kj < kernel; kj++)
                            {
                                var ix = (ox * stride) - padding + kj;
                                cols[row + col] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[plane + (iy * w) + ix] : 0f;
                                col++;
                            }
                        }
                    }
                }
            }
        }
    }
}

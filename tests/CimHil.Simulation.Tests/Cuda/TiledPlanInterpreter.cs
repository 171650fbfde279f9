using CimHil.Simulation.Cuda.Converters;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using StepKind = CimHil.Simulation.MonteCarlo.InferencePlan.StepKind;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// Runs the tiled forward with converters on the CPU as TiledForward lays it out on the GPU — G chips at once, [g][C][n][H·W]
/// planes, the network input unfolded once into [K][M] columns shared by all chips, a linear layer's input feature-major
/// [in][n], the DAC in place per row tile, one product per row tile and slice into a [g][O][M] scratch, the ADC-and-add and the
/// output factor, pooling before bias and ReLU — with the converter kernels built for the host (<see cref="ConverterKernels"/>)
/// and plain loops for the rest. The products sum in ascending k as the managed GEMM does, so with
/// <c>Gemm.Use(GemmBackend.Managed)</c> the CPU's <see cref="Mapping.CrossbarForward"/> gives the same floats.
/// </summary>
internal static class TiledPlanInterpreter
{
    /// <summary>Logits [g][classes][n] of images x [n, C, H, W]; <paramref name="slices"/>[g][layer][slice] and <paramref name="factors"/>[g][layer] per chip.</summary>
    public static float[] Logits(ConverterKernels kernels, InferencePlan plan, ConverterTiling tiling, float[] x, int n, float[][][][] slices, double[][] factors)
    {
        var groups = slices.Length;
        var net = plan.Network;
        int c = net.InputShape[0], h = net.InputShape[1], w = net.InputShape[2];

        // NCHW → [C][n][H·W], the resident test set's layout (read by every chip).
        var input = new float[x.Length];
        for (var i = 0; i < n; i++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                Array.Copy(x, ((i * c) + ch) * h * w, input, ((ch * n) + i) * h * w, h * w);
            }
        }

        float[] cur = [.. Enumerable.Range(0, groups).SelectMany(_ => input)];
        var shared = plan.Steps[0].Kind == StepKind.Conv;
        var flat = false;
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var s = plan.Steps[i];
            switch (s.Kind)
            {
                case StepKind.Conv:
                    {
                        var conv = (Conv2d)s.Layer!;
                        var m = n * s.OutH * s.OutW;
                        var kk = s.InC * conv.Kernel * conv.Kernel;
                        var colGroups = shared ? 1 : groups;
                        var cols = new float[colGroups * kk * m];
                        for (var g = 0; g < colGroups; g++)
                        {
                            Im2Col(cur, g * s.InC * n * s.InH * s.InW, cols, g * kk * m, s, conv, n);
                        }

                        var y = Crossbar(kernels, tiling, s.WeightIndex, cols, shared ? 0 : kk * m, colGroups, m, slices, factors);
                        var bias = conv.Bias?.Data;
                        if (i + 1 < plan.Steps.Count && plan.Steps[i + 1].Kind == StepKind.MaxPool)
                        {
                            var p = plan.Steps[++i];
                            cur = PoolBiasRelu(y, groups, s.OutC, n, s.OutH, s.OutW, p.PoolKernel, p.PoolStride, p.OutH, p.OutW, bias, s.Relu);
                        }
                        else
                        {
                            cur = PoolBiasRelu(y, groups, s.OutC, n, s.OutH, s.OutW, 1, 1, s.OutH, s.OutW, bias, s.Relu);
                        }

                        shared = false;
                        break;
                    }

                case StepKind.MaxPool:
                    cur = PoolBiasRelu(cur, groups, s.InC, n, s.InH, s.InW, s.PoolKernel, s.PoolStride, s.OutH, s.OutW, null, false);
                    break;
                case StepKind.Relu:
                    cur = [.. cur.Select(v => MathF.Max(v, 0f))];
                    break;
                case StepKind.Linear:
                    {
                        if (!flat)
                        {
                            var f = s.FlattenedFrom ?? (s.InC, 1, 1);
                            cur = Flatten(cur, groups, f.C, n, f.H * f.W);
                            flat = true;
                        }

                        var y = Crossbar(kernels, tiling, s.WeightIndex, cur, s.InC * n, groups, n, slices, factors);
                        cur = PoolBiasRelu(y, groups, s.OutC, n, 1, 1, 1, 1, 1, 1, ((Linear)s.Layer!).Bias?.Data, s.Relu);
                        break;
                    }
            }
        }

        return cur;
    }

    private static float[] Crossbar(ConverterKernels kernels, ConverterTiling tiling, int l, float[] x, int xStride, int xGroups, int m, float[][][][] slices, double[][] factors)
    {
        var layer = tiling.Layers[l];
        var groups = slices.Length;
        var y = new float[groups * layer.Outputs * m];
        var part = new float[groups * layer.Outputs * m];
        double[] table = [.. tiling.AdcTable, 0, 0];
        var chipFactors = factors.Select(f => (float)f[l]).ToArray();
        for (var t = 0; t < layer.RowTiles.Count; t++)
        {
            var tile = layer.RowTiles[t];
            if (tile.Dac is { } dac)
            {
                kernels.DacQuantize(x, (long)tile.FirstRow * m, (long)tile.Rows * m, xStride, xGroups, dac);
            }

            for (var s = 0; s < layer.Slices; s++)
            {
                for (var g = 0; g < groups; g++)
                {
                    var wgt = slices[g][l][s];
                    var xg = xGroups == 1 ? 0 : g * xStride;
                    for (var o = 0; o < layer.Outputs; o++)
                    {
                        for (var r = 0; r < m; r++)
                        {
                            // Ascending k, a zero input skipped: the managed GEMM's order and arithmetic.
                            var sum = 0f;
                            for (var k = tile.FirstRow; k < tile.FirstRow + tile.Rows; k++)
                            {
                                var a = x[xg + (k * m) + r];
                                if (a != 0f)
                                {
                                    sum += a * wgt[(o * layer.FanIn) + k];
                                }
                            }

                            part[(((g * layer.Outputs) + o) * m) + r] = sum;
                        }
                    }
                }

                var last = t == layer.RowTiles.Count - 1 && s == layer.Slices - 1;
                kernels.AdcAccumulate(part, y, groups, layer.Outputs, m, layer.TileColumns, table, tiling.AdcOffset(l, t, s), tiling.AdcMaxCode(l), t == 0 && s == 0, last ? chipFactors : null);
            }
        }

        return y;
    }

    private static void Im2Col(float[] x, int xOffset, float[] cols, int colOffset, InferencePlan.Step s, Conv2d conv, int n)
    {
        var m = n * s.OutH * s.OutW;
        for (var r = 0; r < s.InC * conv.Kernel * conv.Kernel; r++)
        {
            int kj = r % conv.Kernel, ki = r / conv.Kernel % conv.Kernel, ch = r / (conv.Kernel * conv.Kernel);
            for (var j = 0; j < m; j++)
            {
                int ox = j % s.OutW, oy = j / s.OutW % s.OutH, img = j / (s.OutW * s.OutH);
                int iy = (oy * conv.Stride) - conv.Padding + ki, ix = (ox * conv.Stride) - conv.Padding + kj;
                cols[colOffset + (r * m) + j] = iy >= 0 && iy < s.InH && ix >= 0 && ix < s.InW ? x[xOffset + (((ch * n) + img) * s.InH * s.InW) + (iy * s.InW) + ix] : 0f;
            }
        }
    }

    // pool_bias_relu: the k×k/stride max first, then + bias[c], then ReLU (k = 1: bias and ReLU only).
    private static float[] PoolBiasRelu(float[] x, int groups, int channels, int n, int h, int w, int k, int stride, int oh, int ow, float[]? bias, bool relu)
    {
        var y = new float[groups * channels * n * oh * ow];
        for (var plane = 0; plane < groups * channels * n; plane++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    var best = x[(plane * h * w) + (oy * stride * w) + (ox * stride)];
                    for (var ki = 0; ki < k; ki++)
                    {
                        for (var kj = 0; kj < k; kj++)
                        {
                            best = MathF.Max(best, x[(plane * h * w) + (((oy * stride) + ki) * w) + (ox * stride) + kj]);
                        }
                    }

                    if (bias is not null)
                    {
                        best += bias[plane / n % channels];
                    }

                    y[(plane * oh * ow) + (oy * ow) + ox] = relu ? MathF.Max(best, 0f) : best;
                }
            }
        }

        return y;
    }

    // [g][C][n][P] → [g][C·P][n].
    private static float[] Flatten(float[] x, int groups, int channels, int n, int plane)
    {
        var y = new float[x.Length];
        var per = channels * n * plane;
        for (var g = 0; g < groups; g++)
        {
            for (var ch = 0; ch < channels; ch++)
            {
                for (var i = 0; i < n; i++)
                {
                    for (var p = 0; p < plane; p++)
                    {
                        y[(g * per) + ((((ch * plane) + p) * n) + i)] = x[(g * per) + (((ch * n) + i) * plane) + p];
                    }
                }
            }
        }

        return y;
    }
}

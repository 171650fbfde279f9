using CimHil.Simulation.Cuda.Graph;
using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// Runs a <see cref="GraphPlan"/> on the CPU exactly as GraphForward lays it out on the GPU — one chip, values in the buffers
/// the plan assigned ([C][n][H·W] planes, reused after their last reader), the input read in place as channel planes — with
/// plain loops instead of kernels. A wrong fusion, buffer reuse, layout or stride shows as logits that differ from
/// Network.Forward; only the kernels themselves are left to the GPU machine.
/// </summary>
internal static class GraphPlanInterpreter
{
    /// <summary>Logits [n, classes] of images x [n, C, H, W] with the per-layer weights (mapped layer order, [O·K] each).</summary>
    public static float[] Logits(GraphPlan plan, Tensor x, IReadOnlyList<float[]> weights)
    {
        var n = x.Dim(0);
        var inputShape = plan.Values[0];
        var planes = new float[x.Length];
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < inputShape.C; c++)
            {
                x.Data.AsSpan(((i * inputShape.C) + c) * inputShape.Plane, inputShape.Plane).CopyTo(planes.AsSpan(((c * n) + i) * inputShape.Plane));
            }
        }

        var buffers = plan.BufferSizes.Select(s => new float[n * s]).ToArray();
        float[] Read(int v) => v == 0 && !plan.BroadcastInput ? planes : buffers[plan.BufferOf[v]];
        if (plan.BroadcastInput)
        {
            planes.CopyTo(buffers[plan.BufferOf[0]], 0);
        }

        foreach (var op in plan.Ops)
        {
            var a = plan.Values[op.Inputs[0]];
            var y = plan.Values[op.Output];
            var src = Read(op.Inputs[0]);
            var result = op.Kind switch
            {
                GraphOpKind.Conv => Conv(op, src, a, y, n, weights[op.WeightIndex]),
                GraphOpKind.Linear => Linear(op, src, a, y, n, weights[op.WeightIndex]),
                GraphOpKind.Epilogue => Epilogue(op, src[..(int)(y.PerImage * n)], y.C, n * y.Plane),
                GraphOpKind.Add => Epilogue(op, src.Zip(Read(op.Inputs[1])).Take((int)(y.PerImage * n)).Select(p => Arithmetic(op.Arithmetic, p.First, p.Second)).ToArray(), 1, (int)(y.PerImage * n)),
                GraphOpKind.Map => Map(op.Map!, src, y, n),
                GraphOpKind.Gather => Gather(op.Sources!, src, a, y, n),
                GraphOpKind.MaxPool or GraphOpKind.AvgPool => Pool(op, src, a, y, n),
                GraphOpKind.GlobalAvgPool => Enumerable.Range(0, a.C * n).Select(p => (float)(src.Skip(p * a.Plane).Take(a.Plane).Sum(v => (double)v) / a.Plane)).ToArray(),
                GraphOpKind.Flatten => Flatten(src, a, n),
                GraphOpKind.Scatter => Scatter(op, plan, Read, y, n),
                GraphOpKind.Concat => op.Inputs.SelectMany(v => Read(v).Take((int)(plan.Values[v].PerImage * n))).ToArray(),
                _ => throw new InvalidOperationException(op.Kind.ToString()),
            };
            result.CopyTo(buffers[plan.BufferOf[op.Output]], 0);
        }

        var z = Read(plan.Output);
        var classes = plan.Values[plan.Output].C;
        var logits = new float[n * classes];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < classes; k++)
            {
                logits[(i * classes) + k] = z[(k * n) + i];
            }
        }

        return logits;
    }

    private static float[] Conv(GraphOp op, float[] x, GraphValue a, GraphValue y, int n, float[] w)
    {
        var g = op.Geometry;
        int cg = a.C / g.Groups, og = y.C / g.Groups;
        var full = y with { H = y.H * op.Pool, W = y.W * op.Pool };
        var pooled = y;
        y = full;
        var result = new float[y.PerImage * n];
        for (var o = 0; o < y.C; o++)
        {
            var group = o / og;
            for (var i = 0; i < n; i++)
            {
                for (var oy = 0; oy < y.H; oy++)
                {
                    for (var ox = 0; ox < y.W; ox++)
                    {
                        var s = 0f;
                        for (var c = 0; c < cg; c++)
                        {
                            for (var ki = 0; ki < op.KernelH; ki++)
                            {
                                for (var kj = 0; kj < op.KernelW; kj++)
                                {
                                    int iy = (oy * g.StrideH) - g.PadTop + (ki * g.DilationH), ix = (ox * g.StrideW) - g.PadLeft + (kj * g.DilationW);
                                    if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W)
                                    {
                                        var channel = (group * cg) + c;
                                        s += w[(((o * cg) + c) * op.KernelH * op.KernelW) + (ki * op.KernelW) + kj] * x[(((channel * n) + i) * a.Plane) + (iy * a.W) + ix];
                                    }
                                }
                            }
                        }

                        result[(((o * n) + i) * y.Plane) + (oy * y.W) + ox] = s;
                    }
                }
            }
        }

        result = Epilogue(op, result, y.C, n * y.Plane);
        return op.Pool == 1 ? result : Pool(op with { Kind = GraphOpKind.MaxPool, KernelH = op.Pool, Geometry = new ConvolutionGeometry { StrideH = op.Pool } }, result, full, pooled, n);
    }

    private static float Arithmetic(ElementwiseOp op, float a, float b) => op switch
    {
        ElementwiseOp.Add => a + b,
        ElementwiseOp.Subtract => a - b,
        _ => a * b,
    };

    // The CPU's formulas (Activation, Ops.ApplyConstant) on the GPU's [C][n][P] layout, the constant indexed per image as graph_map does.
    private static float[] Map(ElementwiseMap map, float[] x, GraphValue y, int n)
    {
        var result = new float[y.PerImage * n];
        for (var idx = 0; idx < result.Length; idx++)
        {
            var v = x[idx];
            var c = map.Constant is { } k ? k[(idx / (n * y.Plane) * y.Plane) + (idx % y.Plane)] : 0f;
            result[idx] = map.Function switch
            {
                MapFunction.LeakyRelu => v >= 0 ? v : map.A * v,
                MapFunction.Clip => Math.Min(Math.Max(v, map.A), map.B),
                MapFunction.Sigmoid => 1f / (1f + MathF.Exp(-v)),
                MapFunction.Tanh => MathF.Tanh(v),
                MapFunction.Add => v + c,
                MapFunction.Subtract => v - c,
                MapFunction.SubtractFrom => c - v,
                MapFunction.Multiply => v * c,
                MapFunction.Divide => v / c,
                _ => c / v,
            };
        }

        return result;
    }

    private static float[] Gather(int[] sources, float[] x, GraphValue a, GraphValue y, int n)
    {
        var result = new float[y.PerImage * n];
        for (var idx = 0; idx < result.Length; idx++)
        {
            int c = idx / (n * y.Plane), img = idx / y.Plane % n, p = idx % y.Plane;
            var s = sources[(c * y.Plane) + p];
            result[idx] = s < 0 ? 0f : x[((s / a.Plane * n) + img) * a.Plane + (s % a.Plane)];
        }

        return result;
    }

    private static float[] Scatter(GraphOp op, GraphPlan plan, Func<int, float[]> read, GraphValue y, int n)
    {
        var result = new float[y.PerImage * n];
        var offset = 0;
        foreach (var v in op.Inputs)
        {
            var a = plan.Values[v];
            var x = read(v);
            for (var idx = 0; idx < a.PerImage * n; idx++)
            {
                int c = (int)(idx / ((long)n * a.Plane)), img = idx / a.Plane % n, p = idx % a.Plane;
                var d = op.Destinations![offset + (c * a.Plane) + p];
                result[((d / y.Plane * n) + img) * y.Plane + (d % y.Plane)] = x[idx];
            }

            offset += (int)a.PerImage;
        }

        return result;
    }

    private static float[] Linear(GraphOp op, float[] x, GraphValue a, GraphValue y, int n, float[] w)
    {
        var result = new float[y.C * n];
        for (var o = 0; o < y.C; o++)
        {
            for (var i = 0; i < n; i++)
            {
                var s = 0f;
                for (var f = 0; f < a.C; f++)
                {
                    s += w[(o * a.C) + f] * x[(f * n) + i];
                }

                result[(o * n) + i] = s;
            }
        }

        return Epilogue(op, result, y.C, n);
    }

    private static float[] Epilogue(GraphOp op, float[] v, int channels, int m)
    {
        var y = (float[])v.Clone();
        for (var idx = 0; idx < channels * m; idx++)
        {
            var c = idx / m;
            var t = y[idx];
            if (op.Bias is { } b)
            {
                t += b[c];
            }

            if (op.Affine is { } af)
            {
                var k = af.Channels;
                t = ((t - af.Packed[c]) * af.Packed[k + c] * af.Packed[(2 * k) + c]) + af.Packed[(3 * k) + c];
            }

            y[idx] = op.Relu ? Math.Max(t, 0f) : t;
        }

        return y;
    }

    private static float[] Pool(GraphOp op, float[] x, GraphValue a, GraphValue y, int n)
    {
        var k = op.KernelH;
        var stride = op.Geometry.StrideH;
        var result = new float[y.PerImage * n];
        for (var p = 0; p < a.C * n; p++)
        {
            for (var i = 0; i < y.H; i++)
            {
                for (var j = 0; j < y.W; j++)
                {
                    var window = Enumerable.Range(0, k * k).Select(t => x[(p * a.Plane) + (((i * stride) + (t / k)) * a.W) + (j * stride) + (t % k)]).ToArray();
                    result[(p * y.Plane) + (i * y.W) + j] = op.Kind == GraphOpKind.MaxPool ? window.Max() : window.Sum() / (k * k);
                }
            }
        }

        return result;
    }

    private static float[] Flatten(float[] x, GraphValue a, int n)
    {
        var result = new float[a.PerImage * n];
        for (var c = 0; c < a.C; c++)
        {
            for (var i = 0; i < n; i++)
            {
                for (var p = 0; p < a.Plane; p++)
                {
                    result[((((c * a.Plane) + p) * n) + i)] = x[(((c * n) + i) * a.Plane) + p];
                }
            }
        }

        return result;
    }
}

namespace CimHil.Simulation.Engine;

/// <summary>Operations that imported (ONNX) graphs need beyond the built-in layers; all record autograd.</summary>
public static partial class Ops
{
    /// <summary>Elementwise y = f(x) with dy/dx = <paramref name="derivative"/>(x, y) (activations such as Sigmoid, Tanh, Clip).</summary>
    public static Tensor Map(Tensor x, Func<float, float> f, Func<float, float, float> derivative)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(derivative);
        var y = new float[x.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = f(x.Data[i]);
        }

        return Tensor.Result(y, x.ShapeArray(), [x], o =>
        {
            var g = o.Grad!;
            var gx = new float[g.Length];
            for (var i = 0; i < g.Length; i++)
            {
                gx[i] = g[i] * derivative(x.Data[i], y[i]);
            }

            x.AccumulateGradOwned(gx);
        });
    }

    /// <summary>
    /// x ∘ c (or c ∘ x when <paramref name="constantFirst"/>) with a constant c broadcast to x's shape by NumPy rules
    /// (trailing dimensions aligned, size 1 stretched); the result has x's shape. The constant gets no gradient.
    /// </summary>
    public static Tensor ApplyConstant(Tensor x, ElementwiseOp op, float[] constant, IReadOnlyList<int> constantShape, bool constantFirst = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(constant);
        ArgumentNullException.ThrowIfNull(constantShape);
        var index = BroadcastIndex(x.Shape, constantShape);
        var y = new float[x.Length];
        for (var i = 0; i < y.Length; i++)
        {
            float a = x.Data[i], c = constant[index[i]];
            y[i] = (op, constantFirst) switch
            {
                (ElementwiseOp.Add, _) => a + c,
                (ElementwiseOp.Multiply, _) => a * c,
                (ElementwiseOp.Subtract, false) => a - c,
                (ElementwiseOp.Subtract, true) => c - a,
                (ElementwiseOp.Divide, false) => a / c,
                _ => c / a,
            };
        }

        return Tensor.Result(y, x.ShapeArray(), [x], o =>
        {
            var g = o.Grad!;
            var gx = new float[g.Length];
            for (var i = 0; i < g.Length; i++)
            {
                float a = x.Data[i], c = constant[index[i]];
                gx[i] = (op, constantFirst) switch
                {
                    (ElementwiseOp.Add, _) => g[i],
                    (ElementwiseOp.Multiply, _) => g[i] * c,
                    (ElementwiseOp.Subtract, false) => g[i],
                    (ElementwiseOp.Subtract, true) => -g[i],
                    (ElementwiseOp.Divide, false) => g[i] / c,
                    _ => -g[i] * c / (a * a),
                };
            }

            x.AccumulateGradOwned(gx);
        });
    }

    /// <summary>Index into a constant of shape <paramref name="constantShape"/> for every element of a tensor of shape <paramref name="shape"/>.</summary>
    public static int[] BroadcastIndex(IReadOnlyList<int> shape, IReadOnlyList<int> constantShape)
    {
        var rank = shape.Count;
        if (constantShape.Count > rank)
        {
            throw new ArgumentException($"A constant of shape [{string.Join(", ", constantShape)}] has more dimensions than the tensor [{string.Join(", ", shape)}] it is combined with.");
        }

        // Stride of each of the tensor's axes in the constant (0 where the constant has size 1 or lacks the axis).
        var strides = new int[rank];
        var stride = 1;
        for (var i = constantShape.Count - 1; i >= 0; i--)
        {
            var axis = rank - constantShape.Count + i;
            var cd = constantShape[i];
            if (cd != 1 && cd != shape[axis])
            {
                throw new ArgumentException($"A constant of shape [{string.Join(", ", constantShape)}] does not broadcast to [{string.Join(", ", shape)}] (axis {axis}: {cd} vs {shape[axis]}).");
            }

            strides[axis] = cd == 1 ? 0 : stride;
            stride *= cd;
        }

        var count = Tensor.CountOf(shape);
        var map = new int[count];
        var pos = new int[rank];
        for (var i = 0; i < count; i++)
        {
            var c = 0;
            for (var a = 0; a < rank; a++)
            {
                c += pos[a] * strides[a];
            }

            map[i] = c;
            for (var a = rank - 1; a >= 0; a--)
            {
                if (++pos[a] < shape[a])
                {
                    break;
                }

                pos[a] = 0;
            }
        }

        return map;
    }

    /// <summary>Permutes the axes of x: output axis i is input axis perm[i] (ONNX Transpose, torch.permute).</summary>
    public static Tensor Transpose(Tensor x, IReadOnlyList<int> perm)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(perm);
        var rank = x.Rank;
        if (perm.Count != rank || perm.Distinct().Count() != rank || perm.Any(p => p < 0 || p >= rank))
        {
            throw new ArgumentException($"Transpose: perm [{string.Join(", ", perm)}] is not a permutation of the {rank} axes of {x.ShapeString()}.");
        }

        var outShape = perm.Select(p => x.Dim(p)).ToArray();
        var inStrides = new int[rank];
        var s = 1;
        for (var a = rank - 1; a >= 0; a--)
        {
            inStrides[a] = s;
            s *= x.Dim(a);
        }

        // source[i] = the input offset of output element i.
        var source = new int[x.Length];
        var pos = new int[rank];
        for (var i = 0; i < source.Length; i++)
        {
            var off = 0;
            for (var a = 0; a < rank; a++)
            {
                off += pos[a] * inStrides[perm[a]];
            }

            source[i] = off;
            for (var a = rank - 1; a >= 0; a--)
            {
                if (++pos[a] < outShape[a])
                {
                    break;
                }

                pos[a] = 0;
            }
        }

        var y = new float[x.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = x.Data[source[i]];
        }

        return Tensor.Result(y, outShape, [x], o =>
        {
            var g = o.Grad!;
            var gx = new float[g.Length];
            for (var i = 0; i < g.Length; i++)
            {
                gx[source[i]] = g[i];
            }

            x.AccumulateGradOwned(gx);
        });
    }

    /// <summary>Joins tensors along <paramref name="axis"/>; all other dimensions must agree (ONNX Concat, torch.cat).</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int axis)
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Count == 0)
        {
            throw new ArgumentException("Concat of no tensors.", nameof(xs));
        }

        var first = xs[0];
        var rank = first.Rank;
        axis = axis < 0 ? axis + rank : axis;
        if (axis < 0 || axis >= rank)
        {
            throw new ArgumentException($"Concat: axis {axis} is outside the {rank} axes of {first.ShapeString()}.", nameof(axis));
        }

        foreach (var t in xs)
        {
            if (t.Rank != rank || Enumerable.Range(0, rank).Any(a => a != axis && t.Dim(a) != first.Dim(a)))
            {
                throw new ArgumentException($"Concat on axis {axis}: {t.ShapeString()} does not match {first.ShapeString()} outside that axis.", nameof(xs));
            }
        }

        var outer = 1;
        for (var a = 0; a < axis; a++)
        {
            outer *= first.Dim(a);
        }

        var inner = 1;
        for (var a = axis + 1; a < rank; a++)
        {
            inner *= first.Dim(a);
        }

        var blocks = xs.Select(t => t.Dim(axis) * inner).ToArray();
        var total = blocks.Sum();
        var y = new float[outer * total];
        for (var n = 0; n < outer; n++)
        {
            var off = n * total;
            for (var k = 0; k < xs.Count; k++)
            {
                xs[k].Data.AsSpan(n * blocks[k], blocks[k]).CopyTo(y.AsSpan(off, blocks[k]));
                off += blocks[k];
            }
        }

        var shape = first.ShapeArray();
        shape[axis] = total / inner;
        return Tensor.Result(y, shape, [.. xs], o =>
        {
            var g = o.Grad!;
            var start = 0;
            for (var k = 0; k < xs.Count; k++)
            {
                if (xs[k].RequiresGrad)
                {
                    var gx = new float[xs[k].Length];
                    for (var n = 0; n < outer; n++)
                    {
                        g.AsSpan((n * total) + start, blocks[k]).CopyTo(gx.AsSpan(n * blocks[k], blocks[k]));
                    }

                    xs[k].AccumulateGradOwned(gx);
                }

                start += blocks[k];
            }
        });
    }

    /// <summary>Mean over H×W per channel: [N, C, H, W] → [N, C, 1, 1] (ONNX GlobalAveragePool).</summary>
    public static Tensor GlobalAveragePool(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"GlobalAveragePool expects [N, C, H, W], got {x.ShapeString()}.", nameof(x));
        }

        int nc = x.Dim(0) * x.Dim(1), p = x.Dim(2) * x.Dim(3);
        var y = new float[nc];
        for (var i = 0; i < nc; i++)
        {
            double sum = 0;
            for (var j = 0; j < p; j++)
            {
                sum += x.Data[(i * p) + j];
            }

            y[i] = (float)(sum / p);
        }

        return Tensor.Result(y, [x.Dim(0), x.Dim(1), 1, 1], [x], o =>
        {
            var g = o.Grad!;
            var gx = new float[x.Length];
            for (var i = 0; i < nc; i++)
            {
                gx.AsSpan(i * p, p).Fill(g[i] / p);
            }

            x.AccumulateGradOwned(gx);
        });
    }

    /// <summary>
    /// General 2-D convolution of x [N, C, H, W] with W [O, C/groups, KH, KW] (ONNX Conv): per-axis strides and dilations,
    /// asymmetric zero padding (top, left, bottom, right) and groups (groups = C: depthwise). A direct loop; plain
    /// convolutions use the im2col <see cref="Conv2d"/> instead.
    /// </summary>
    public static Tensor Conv2dGeneral(Tensor x, Tensor weight, Tensor? bias, ConvolutionGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(geometry);
        var gm = geometry;
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        int o = weight.Dim(0), cg = weight.Dim(1), kh = weight.Dim(2), kw = weight.Dim(3);
        if (x.Rank != 4 || c != cg * gm.Groups || o % gm.Groups != 0)
        {
            throw new ArgumentException($"Conv: input {x.ShapeString()} does not match weight {weight.ShapeString()} with {gm.Groups} group(s).");
        }

        var oh = ((h + gm.PadTop + gm.PadBottom - (gm.DilationH * (kh - 1)) - 1) / gm.StrideH) + 1;
        var ow = ((w + gm.PadLeft + gm.PadRight - (gm.DilationW * (kw - 1)) - 1) / gm.StrideW) + 1;
        if (oh < 1 || ow < 1)
        {
            throw new ArgumentException($"Conv: kernel {kh}×{kw} (dilation {gm.DilationH}×{gm.DilationW}) does not fit input {h}×{w} with its padding.");
        }

        CheckBias(bias, o, "Conv");
        var og = o / gm.Groups;
        var y = new float[n * o * oh * ow];

        // One walk visits every (output, tap) pair; forward and both gradients reuse it.
        void Walk(Action<int, int, int> visit)
        {
            for (var b = 0; b < n; b++)
            {
                for (var oc = 0; oc < o; oc++)
                {
                    var g = oc / og;
                    for (var oy = 0; oy < oh; oy++)
                    {
                        for (var ox = 0; ox < ow; ox++)
                        {
                            var yi = (((b * o) + oc) * oh * ow) + (oy * ow) + ox;
                            for (var ci = 0; ci < cg; ci++)
                            {
                                var plane = ((b * c) + (g * cg) + ci) * h * w;
                                for (var ky = 0; ky < kh; ky++)
                                {
                                    var iy = (oy * gm.StrideH) - gm.PadTop + (ky * gm.DilationH);
                                    if (iy < 0 || iy >= h)
                                    {
                                        continue;
                                    }

                                    for (var kx = 0; kx < kw; kx++)
                                    {
                                        var ix = (ox * gm.StrideW) - gm.PadLeft + (kx * gm.DilationW);
                                        if (ix >= 0 && ix < w)
                                        {
                                            visit(yi, plane + (iy * w) + ix, (((oc * cg) + ci) * kh * kw) + (ky * kw) + kx);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        var xd = x.Data;
        var wd = weight.Data;
        Walk((yi, xi, wi) => y[yi] += wd[wi] * xd[xi]);
        if (bias is not null)
        {
            var plane = oh * ow;
            for (var i = 0; i < y.Length; i++)
            {
                y[i] += bias.Data[(i / plane) % o];
            }
        }

        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Result(y, [n, o, oh, ow], parents, t =>
        {
            var gy = t.Grad!;
            var gx = x.RequiresGrad ? x.GradBuffer() : null;
            var gw = weight.RequiresGrad ? weight.GradBuffer() : null;
            if (gx is not null || gw is not null)
            {
                Walk((yi, xi, wi) =>
                {
                    if (gx is not null)
                    {
                        gx[xi] += gy[yi] * wd[wi];
                    }

                    if (gw is not null)
                    {
                        gw[wi] += gy[yi] * xd[xi];
                    }
                });
            }

            if (bias?.RequiresGrad == true)
            {
                var gb = bias.GradBuffer();
                var plane = oh * ow;
                for (var i = 0; i < gy.Length; i++)
                {
                    gb[(i / plane) % o] += gy[i];
                }
            }
        });
    }

    /// <summary>Zero padding of H and W: [N, C, H, W] → [N, C, top + H + bottom, left + W + right].</summary>
    public static Tensor ZeroPad2d(Tensor x, int top, int left, int bottom, int right)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"Pad expects [N, C, H, W], got {x.ShapeString()}.", nameof(x));
        }

        int nc = x.Dim(0) * x.Dim(1), h = x.Dim(2), w = x.Dim(3), ph = h + top + bottom, pw = w + left + right;
        var y = new float[nc * ph * pw];
        for (var p = 0; p < nc; p++)
        {
            for (var r = 0; r < h; r++)
            {
                x.Data.AsSpan((p * h * w) + (r * w), w).CopyTo(y.AsSpan((p * ph * pw) + ((r + top) * pw) + left, w));
            }
        }

        return Tensor.Result(y, [x.Dim(0), x.Dim(1), ph, pw], [x], o =>
        {
            var g = o.Grad!;
            var gx = new float[x.Length];
            for (var p = 0; p < nc; p++)
            {
                for (var r = 0; r < h; r++)
                {
                    g.AsSpan((p * ph * pw) + ((r + top) * pw) + left, w).CopyTo(gx.AsSpan((p * h * w) + (r * w), w));
                }
            }

            x.AccumulateGradOwned(gx);
        });
    }
}

namespace CimHil.Simulation.Engine;

/// <summary>Pooling ops (nn.MaxPool2d, nn.AvgPool2d) with their backward passes.</summary>
public static partial class Ops
{
    /// <summary>Max pooling over kernel×kernel windows (nn.MaxPool2d, no padding); stride defaults to the kernel.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        stride = stride == 0 ? kernel : stride;
        var (n, c, h, w, oh, ow) = PoolGeometry(x, kernel, stride, nameof(MaxPool2d));
        var y = new float[n * c * oh * ow];
        var arg = new int[y.Length];
        var xd = x.Data;
        if (kernel == 2 && stride == 2)
        {
            MaxPool2x2(xd, n * c, h, w, oh, ow, y, arg);
        }
        else
        {
            MaxPoolGeneric(xd, n * c, h, w, oh, ow, kernel, stride, y, arg);
        }

        return Tensor.Result(y, [n, c, oh, ow], [x], o =>
        {
            var gx = x.GradBuffer();
            var gy = o.Grad!;
            for (var i = 0; i < gy.Length; i++)
            {
                gx[arg[i]] += gy[i];
            }
        });
    }

    /// <summary>Average pooling over kernel×kernel windows (nn.AvgPool2d, no padding); stride defaults to the kernel.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        stride = stride == 0 ? kernel : stride;
        var (n, c, h, w, oh, ow) = PoolGeometry(x, kernel, stride, nameof(AvgPool2d));
        var y = new float[n * c * oh * ow];
        var inv = 1f / (kernel * kernel);
        var xd = x.Data;
        for (var plane = 0; plane < n * c; plane++)
        {
            var xb = plane * h * w;
            var yb = plane * oh * ow;
            for (var i = 0; i < oh; i++)
            {
                for (var j = 0; j < ow; j++)
                {
                    var s = 0f;
                    for (var di = 0; di < kernel; di++)
                    {
                        var row = xb + (((i * stride) + di) * w) + (j * stride);
                        for (var dj = 0; dj < kernel; dj++)
                        {
                            s += xd[row + dj];
                        }
                    }

                    y[yb + (i * ow) + j] = s * inv;
                }
            }
        }

        return Tensor.Result(y, [n, c, oh, ow], [x], o =>
        {
            var gx = x.GradBuffer();
            var gy = o.Grad!;
            for (var plane = 0; plane < n * c; plane++)
            {
                var xb = plane * h * w;
                var yb = plane * oh * ow;
                for (var i = 0; i < oh; i++)
                {
                    for (var j = 0; j < ow; j++)
                    {
                        var gv = gy[yb + (i * ow) + j] * inv;
                        for (var di = 0; di < kernel; di++)
                        {
                            var row = xb + (((i * stride) + di) * w) + (j * stride);
                            for (var dj = 0; dj < kernel; dj++)
                            {
                                gx[row + dj] += gv;
                            }
                        }
                    }
                }
            }
        });
    }

    private static void MaxPoolGeneric(float[] xd, int planes, int h, int w, int oh, int ow, int kernel, int stride, float[] y, int[] arg)
    {
        for (var plane = 0; plane < planes; plane++)
        {
            var xb = plane * h * w;
            var yb = plane * oh * ow;
            for (var i = 0; i < oh; i++)
            {
                for (var j = 0; j < ow; j++)
                {
                    var best = float.NegativeInfinity;
                    var bestIdx = xb + (i * stride * w) + (j * stride);
                    for (var di = 0; di < kernel; di++)
                    {
                        var row = xb + (((i * stride) + di) * w) + (j * stride);
                        for (var dj = 0; dj < kernel; dj++)
                        {
                            // Strict '>' keeps the first maximum, as PyTorch's CPU kernel does.
                            if (xd[row + dj] > best || float.IsNaN(xd[row + dj]))
                            {
                                best = xd[row + dj];
                                bestIdx = row + dj;
                            }
                        }
                    }

                    y[yb + (i * ow) + j] = best;
                    arg[yb + (i * ow) + j] = bestIdx;
                }
            }
        }
    }

    /// <summary>The common 2×2/2 case without the generic window loops (same first-maximum tie rule).</summary>
    private static void MaxPool2x2(float[] x, int planes, int h, int w, int oh, int ow, float[] y, int[] arg)
    {
        for (var plane = 0; plane < planes; plane++)
        {
            var xb = plane * h * w;
            var yb = plane * oh * ow;
            for (var i = 0; i < oh; i++)
            {
                var r0 = xb + (2 * i * w);
                var r1 = r0 + w;
                var yo = yb + (i * ow);
                for (var j = 0; j < ow; j++)
                {
                    var k = r0 + (2 * j);
                    var best = x[k];
                    var bi = k;
                    if (x[k + 1] > best)
                    {
                        best = x[k + 1];
                        bi = k + 1;
                    }

                    var k2 = r1 + (2 * j);
                    if (x[k2] > best)
                    {
                        best = x[k2];
                        bi = k2;
                    }

                    if (x[k2 + 1] > best)
                    {
                        best = x[k2 + 1];
                        bi = k2 + 1;
                    }

                    y[yo + j] = best;
                    arg[yo + j] = bi;
                }
            }
        }
    }

    private static (int N, int C, int H, int W, int OH, int OW) PoolGeometry(Tensor x, int kernel, int stride, string op)
    {
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{op}: input {x.ShapeString()} is not [N, C, H, W].");
        }

        if (kernel < 1 || stride < 1 || kernel > x.Dim(2) || kernel > x.Dim(3))
        {
            throw new ArgumentOutOfRangeException(nameof(kernel), $"{op}: kernel {kernel} / stride {stride} invalid for input {x.ShapeString()}.");
        }

        return (x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), ((x.Dim(2) - kernel) / stride) + 1, ((x.Dim(3) - kernel) / stride) + 1);
    }
}

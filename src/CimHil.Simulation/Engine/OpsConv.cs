using System.Numerics.Tensors;

namespace CimHil.Simulation.Engine;

public static partial class Ops
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as nn.Conv2d) of x [N, C, H, W] with W [O, C, KH, KW], zero padding, by im2col + GEMM.
    /// </summary>
    /// <remarks>
    /// The whole batch is unfolded into one column matrix [C·KH·KW, N·OH·OW] so a single large GEMM does the work
    /// (Chellapilla et al., "High performance convolutional neural networks for document processing", 2006).
    /// </remarks>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank != 4 || weight.Rank != 4 || x.Dim(1) != weight.Dim(1))
        {
            throw new ArgumentException($"Conv2d: input {x.ShapeString()} does not match weight {weight.ShapeString()} (expected input [N, {(weight.Rank == 4 ? weight.Dim(1) : -1)}, H, W]).");
        }

        if (stride < 1 || padding < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), $"Conv2d: stride {stride} must be ≥ 1 and padding {padding} ≥ 0.");
        }

        var g = new ConvGeometry(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), weight.Dim(0), weight.Dim(2), weight.Dim(3), stride, padding);
        if (g.OutH < 1 || g.OutW < 1)
        {
            throw new ArgumentException($"Conv2d: kernel {g.KH}×{g.KW} with padding {padding} does not fit input {g.H}×{g.W}.");
        }

        CheckBias(bias, g.O, nameof(Conv2d));
        var cols = new float[g.Ckk * g.Np];
        TransferColumns(x.Data, g, cols, toImage: false);
        var tmp = new float[g.O * g.Np];
        Gemm.Multiply(false, false, g.O, g.Np, g.Ckk, weight.Data, cols, tmp);

        // [O, N·P] → [N, O, P] (+ bias).
        var y = new float[g.N * g.O * g.P];
        for (var n = 0; n < g.N; n++)
        {
            for (var o = 0; o < g.O; o++)
            {
                var src = tmp.AsSpan((o * g.Np) + (n * g.P), g.P);
                var dst = y.AsSpan(((n * g.O) + o) * g.P, g.P);
                if (bias is null)
                {
                    src.CopyTo(dst);
                }
                else
                {
                    TensorPrimitives.Add(src, bias.Data[o], dst);
                }
            }
        }

        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Result(y, [g.N, g.O, g.OutH, g.OutW], parents, o =>
        {
            var gy = o.Grad!;
            var gyT = new float[g.O * g.Np];
            for (var n = 0; n < g.N; n++)
            {
                for (var oc = 0; oc < g.O; oc++)
                {
                    gy.AsSpan(((n * g.O) + oc) * g.P, g.P).CopyTo(gyT.AsSpan((oc * g.Np) + (n * g.P), g.P));
                }
            }

            if (weight.RequiresGrad)
            {
                Gemm.Multiply(false, true, g.O, g.Ckk, g.Np, gyT, cols, weight.GradBuffer(), accumulate: true);
            }

            if (bias?.RequiresGrad == true)
            {
                var gb = bias.GradBuffer();
                for (var oc = 0; oc < g.O; oc++)
                {
                    gb[oc] += TensorPrimitives.Sum(gyT.AsSpan(oc * g.Np, g.Np));
                }
            }

            if (x.RequiresGrad)
            {
                var dcols = new float[g.Ckk * g.Np];
                Gemm.Multiply(true, false, g.Ckk, g.Np, g.O, weight.Data, gyT, dcols);
                TransferColumns(x.GradBuffer(), g, dcols, toImage: true);
            }
        });
    }

    /// <summary>
    /// Batch normalisation over (N, H, W) per channel of x [N, C, H, W] (nn.BatchNorm2d). In training mode it normalises
    /// with the biased batch variance and updates the running statistics in place (unbiased variance, as PyTorch);
    /// in inference mode it uses the running statistics.
    /// </summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor gamma, Tensor beta, float[] runningMean, float[] runningVar, bool training, float momentum = 0.1f, float epsilon = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(runningVar);
        if (x.Rank < 2 || gamma.Length != x.Dim(1) || beta.Length != x.Dim(1) || runningMean.Length != x.Dim(1) || runningVar.Length != x.Dim(1))
        {
            throw new ArgumentException($"BatchNorm2d: input {x.ShapeString()} does not match {gamma.Length} channels.");
        }

        int n = x.Dim(0), c = x.Dim(1), inner = x.Length / Math.Max(1, n * c);
        var m = n * inner;
        var mean = new float[c];
        var invStd = new float[c];
        if (training)
        {
            if (m < 2)
            {
                throw new ArgumentException($"BatchNorm2d in training mode needs more than one value per channel, input {x.ShapeString()}.");
            }

            for (var ch = 0; ch < c; ch++)
            {
                double s = 0, s2 = 0;
                for (var i = 0; i < n; i++)
                {
                    var span = x.Data.AsSpan(((i * c) + ch) * inner, inner);
                    foreach (var v in span)
                    {
                        s += v;
                    }
                }

                var mu = s / m;
                for (var i = 0; i < n; i++)
                {
                    var span = x.Data.AsSpan(((i * c) + ch) * inner, inner);
                    foreach (var v in span)
                    {
                        s2 += (v - mu) * (v - mu);
                    }
                }

                var varB = s2 / m;
                mean[ch] = (float)mu;
                invStd[ch] = (float)(1.0 / Math.Sqrt(varB + epsilon));
                runningMean[ch] = (float)(((1 - momentum) * runningMean[ch]) + (momentum * mu));
                runningVar[ch] = (float)(((1 - momentum) * runningVar[ch]) + (momentum * s2 / (m - 1)));
            }
        }
        else
        {
            for (var ch = 0; ch < c; ch++)
            {
                mean[ch] = runningMean[ch];
                invStd[ch] = (float)(1.0 / Math.Sqrt(runningVar[ch] + (double)epsilon));
            }
        }

        var xhat = new float[x.Length];
        var y = new float[x.Length];
        for (var i = 0; i < n; i++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                var off = ((i * c) + ch) * inner;
                var xs = x.Data.AsSpan(off, inner);
                var hs = xhat.AsSpan(off, inner);
                TensorPrimitives.Subtract(xs, mean[ch], hs);
                TensorPrimitives.Multiply(hs, invStd[ch], hs);
                var ys = y.AsSpan(off, inner);
                TensorPrimitives.Multiply(hs, gamma.Data[ch], ys);
                TensorPrimitives.Add(ys, beta.Data[ch], ys);
            }
        }

        return Tensor.Result(y, x.ShapeArray(), [x, gamma, beta], o =>
        {
            var gy = o.Grad!;
            var sumDy = new double[c];
            var sumDyXhat = new double[c];
            for (var i = 0; i < n; i++)
            {
                for (var ch = 0; ch < c; ch++)
                {
                    var off = ((i * c) + ch) * inner;
                    for (var t = 0; t < inner; t++)
                    {
                        sumDy[ch] += gy[off + t];
                        sumDyXhat[ch] += gy[off + t] * xhat[off + t];
                    }
                }
            }

            if (gamma.RequiresGrad)
            {
                var gg = gamma.GradBuffer();
                for (var ch = 0; ch < c; ch++)
                {
                    gg[ch] += (float)sumDyXhat[ch];
                }
            }

            if (beta.RequiresGrad)
            {
                var gb = beta.GradBuffer();
                for (var ch = 0; ch < c; ch++)
                {
                    gb[ch] += (float)sumDy[ch];
                }
            }

            if (x.RequiresGrad)
            {
                var gx = x.GradBuffer();
                for (var i = 0; i < n; i++)
                {
                    for (var ch = 0; ch < c; ch++)
                    {
                        var off = ((i * c) + ch) * inner;
                        var a = gamma.Data[ch] * invStd[ch];
                        if (training)
                        {
                            // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)) (Ioffe & Szegedy 2015, §3 back-propagation).
                            var md = (float)(sumDy[ch] / m);
                            var mdx = (float)(sumDyXhat[ch] / m);
                            for (var t = 0; t < inner; t++)
                            {
                                gx[off + t] += a * (gy[off + t] - md - (xhat[off + t] * mdx));
                            }
                        }
                        else
                        {
                            for (var t = 0; t < inner; t++)
                            {
                                gx[off + t] += a * gy[off + t];
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// Moves data between the image x [N, C, H, W] and the unfolded columns [C·KH·KW, N·OH·OW] (Chellapilla et al. 2006):
    /// im2col copies image → columns (padding cells stay as the caller cleared them); col2im, the adjoint, adds columns
    /// into the image gradient. One walk serves both so the index arithmetic exists once.
    /// </summary>
    private static void TransferColumns(float[] image, in ConvGeometry g, float[] cols, bool toImage)
    {
        for (var c = 0; c < g.C; c++)
        {
            for (var ki = 0; ki < g.KH; ki++)
            {
                for (var kj = 0; kj < g.KW; kj++)
                {
                    var rowBase = ((((c * g.KH) + ki) * g.KW) + kj) * g.Np;
                    for (var n = 0; n < g.N; n++)
                    {
                        var plane = ((n * g.C) + c) * g.H * g.W;
                        var colBase = rowBase + (n * g.P);
                        for (var oh = 0; oh < g.OutH; oh++)
                        {
                            var ih = (oh * g.Stride) - g.Padding + ki;
                            if ((uint)ih >= (uint)g.H)
                            {
                                continue;
                            }

                            var col = colBase + (oh * g.OutW);
                            var img = plane + (ih * g.W);
                            if (g.Stride == 1)
                            {
                                // Contiguous run: iw = ow − padding + kj, valid for ow in [lo, hi).
                                var lo = Math.Max(0, g.Padding - kj);
                                var hi = Math.Min(g.OutW, g.W + g.Padding - kj);
                                if (hi > lo && toImage)
                                {
                                    var d = image.AsSpan(img + lo - g.Padding + kj, hi - lo);
                                    TensorPrimitives.Add(d, cols.AsSpan(col + lo, hi - lo), d);
                                }
                                else if (hi > lo)
                                {
                                    Array.Copy(image, img + lo - g.Padding + kj, cols, col + lo, hi - lo);
                                }
                            }
                            else
                            {
                                for (var ow = 0; ow < g.OutW; ow++)
                                {
                                    var iw = (ow * g.Stride) - g.Padding + kj;
                                    if ((uint)iw < (uint)g.W && toImage)
                                    {
                                        image[img + iw] += cols[col + ow];
                                    }
                                    else if ((uint)iw < (uint)g.W)
                                    {
                                        cols[col + ow] = image[img + iw];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private readonly record struct ConvGeometry(int N, int C, int H, int W, int O, int KH, int KW, int Stride, int Padding)
    {
        public int OutH => ((H + (2 * Padding) - KH) / Stride) + 1;

        public int OutW => ((W + (2 * Padding) - KW) / Stride) + 1;

        public int P => OutH * OutW;

        public int Np => N * P;

        public int Ckk => C * KH * KW;
    }
}

using System.Numerics.Tensors;

namespace CimHil.Simulation.Engine;

/// <summary>
/// Differentiable operations (the functional API, like torch.nn.functional). Each returns a new tensor and, when an
/// input requires grad and recording is enabled, records its backward pass.
/// </summary>
public static partial class Ops
{
    /// <summary>Elementwise a + b (same shape).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = SameShapeOutput(a, b, nameof(Add));
        TensorPrimitives.Add(a.Data, b.Data, y);
        return Tensor.Result(y, a.ShapeArray(), [a, b], o =>
        {
            // o's gradient is released after this closure, so one parent may adopt the array; the other gets a copy first.
            if (b.RequiresGrad)
            {
                b.AccumulateGrad(o.Grad);
            }

            if (a.RequiresGrad)
            {
                a.AccumulateGradOwned(o.Grad!);
            }
        });
    }

    /// <summary>Elementwise a − b (same shape).</summary>
    public static Tensor Subtract(Tensor a, Tensor b)
    {
        var y = SameShapeOutput(a, b, nameof(Subtract));
        TensorPrimitives.Subtract(a.Data, b.Data, y);
        return Tensor.Result(y, a.ShapeArray(), [a, b], o =>
        {
            if (a.RequiresGrad)
            {
                a.AccumulateGrad(o.Grad);
            }

            if (b.RequiresGrad)
            {
                var g = new float[o.Grad!.Length];
                TensorPrimitives.Negate(o.Grad, g);
                b.AccumulateGradOwned(g);
            }
        });
    }

    /// <summary>Elementwise a · b (same shape).</summary>
    public static Tensor Multiply(Tensor a, Tensor b)
    {
        var y = SameShapeOutput(a, b, nameof(Multiply));
        TensorPrimitives.Multiply(a.Data, b.Data, y);
        return Tensor.Result(y, a.ShapeArray(), [a, b], o =>
        {
            if (a.RequiresGrad)
            {
                var g = new float[o.Grad!.Length];
                TensorPrimitives.Multiply(o.Grad, b.Data, g);
                a.AccumulateGradOwned(g);
            }

            if (b.RequiresGrad)
            {
                var g = new float[o.Grad!.Length];
                TensorPrimitives.Multiply(o.Grad, a.Data, g);
                b.AccumulateGradOwned(g);
            }
        });
    }

    /// <summary>a · s for a constant scalar s.</summary>
    public static Tensor Scale(Tensor a, float s)
    {
        ArgumentNullException.ThrowIfNull(a);
        var y = new float[a.Length];
        TensorPrimitives.Multiply(a.Data, s, y);
        return Tensor.Result(y, a.ShapeArray(), [a], o =>
        {
            var g = new float[o.Grad!.Length];
            TensorPrimitives.Multiply(o.Grad, s, g);
            a.AccumulateGradOwned(g);
        });
    }

    /// <summary>Sum of all elements (a one-element tensor of shape [1]).</summary>
    public static Tensor Sum(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        double s = 0;
        foreach (var v in a.Data)
        {
            s += v;
        }

        return Tensor.Result([(float)s], [1], [a], o =>
        {
            var g = new float[a.Length];
            Array.Fill(g, o.Grad![0]);
            a.AccumulateGradOwned(g);
        });
    }

    /// <summary>Σ a·w for a constant weight array (same length): a scalar probe loss for gradient checks and HVPs.</summary>
    public static Tensor WeightedSum(Tensor a, float[] weights)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length != a.Length)
        {
            throw new ArgumentException($"WeightedSum: {weights.Length} weights for a tensor of {a.Length} elements.", nameof(weights));
        }

        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += (double)a.Data[i] * weights[i];
        }

        return Tensor.Result([(float)s], [1], [a], o =>
        {
            var g = new float[a.Length];
            TensorPrimitives.Multiply(weights, o.Grad![0], g);
            a.AccumulateGradOwned(g);
        });
    }

    /// <summary>Σ a² (e.g. an L2 penalty term added by a training method).</summary>
    public static Tensor SumOfSquares(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        double s = 0;
        foreach (var v in a.Data)
        {
            s += (double)v * v;
        }

        return Tensor.Result([(float)s], [1], [a], o =>
        {
            var g = new float[a.Length];
            TensorPrimitives.Multiply(a.Data, 2f * o.Grad![0], g);
            a.AccumulateGradOwned(g);
        });
    }

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = new float[x.Length];
        TensorPrimitives.Max(x.Data, 0f, y);
        return Tensor.Result(y, x.ShapeArray(), [x], o =>
        {
            var g = new float[x.Length];
            var go = o.Grad!;
            var xd = x.Data;
            for (var i = 0; i < g.Length; i++)
            {
                g[i] = xd[i] > 0f ? go[i] : 0f;
            }

            x.AccumulateGradOwned(g);
        });
    }

    /// <summary>Same data, new shape (one dimension may be −1).</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(shape);
        var s = (int[])shape.Clone();
        var infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            var known = 1;
            for (var i = 0; i < s.Length; i++)
            {
                if (i != infer)
                {
                    known *= s[i];
                }
            }

            s[infer] = known == 0 ? 0 : x.Length / known;
        }

        if (Tensor.CountOf(s) != x.Length)
        {
            throw new ArgumentException($"Cannot reshape {x.ShapeString()} ({x.Length} elements) to [{string.Join(", ", shape)}].", nameof(shape));
        }

        return Tensor.Result(x.Data, s, [x], o => x.AccumulateGradOwned(o.Grad!));
    }

    /// <summary>[N, …] → [N, rest].</summary>
    public static Tensor Flatten(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Reshape(x, x.Dim(0), -1);
    }

    /// <summary>y = x·Wᵀ + b with x [N, in], W [out, in], b [out] (nn.Linear).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank != 2 || weight.Rank != 2 || x.Dim(1) != weight.Dim(1))
        {
            throw new ArgumentException($"Linear: input {x.ShapeString()} does not match weight {weight.ShapeString()} (expected [N, {(weight.Rank == 2 ? weight.Dim(1) : -1)}]).");
        }

        int n = x.Dim(0), inF = x.Dim(1), outF = weight.Dim(0);
        CheckBias(bias, outF, nameof(Linear));
        var y = new float[n * outF];
        if (bias is not null)
        {
            for (var i = 0; i < n; i++)
            {
                bias.Data.CopyTo(y, i * outF);
            }
        }

        Gemm.Multiply(false, true, n, outF, inF, x.Data, weight.Data, y, accumulate: bias is not null);
        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Result(y, [n, outF], parents, o =>
        {
            var gy = o.Grad!;
            if (x.RequiresGrad)
            {
                Gemm.Multiply(false, false, n, inF, outF, gy, weight.Data, x.GradBuffer(), accumulate: true);
            }

            if (weight.RequiresGrad)
            {
                Gemm.Multiply(true, false, outF, inF, n, gy, x.Data, weight.GradBuffer(), accumulate: true);
            }

            if (bias?.RequiresGrad == true)
            {
                var gb = bias.GradBuffer();
                for (var i = 0; i < n; i++)
                {
                    TensorPrimitives.Add(gb, gy.AsSpan(i * outF, outF), gb);
                }
            }
        });
    }

    /// <summary>Adds a per-channel bias b [C] to x [N, C, …] (used when a layer hook sits between the MVM and the bias).</summary>
    public static Tensor AddChannelBias(Tensor x, Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(bias);
        int n = x.Dim(0), c = x.Dim(1), inner = x.Length / Math.Max(1, n * c);
        CheckBias(bias, c, nameof(AddChannelBias));
        var y = (float[])x.Data.Clone();
        for (var i = 0; i < n; i++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                TensorPrimitives.Add(y.AsSpan(((i * c) + ch) * inner, inner), bias.Data[ch], y.AsSpan(((i * c) + ch) * inner, inner));
            }
        }

        return Tensor.Result(y, x.ShapeArray(), [x, bias], o =>
        {
            if (x.RequiresGrad)
            {
                x.AccumulateGrad(o.Grad);
            }

            if (bias.RequiresGrad)
            {
                var gb = bias.GradBuffer();
                for (var i = 0; i < n; i++)
                {
                    for (var ch = 0; ch < c; ch++)
                    {
                        gb[ch] += TensorPrimitives.Sum(o.Grad.AsSpan(((i * c) + ch) * inner, inner));
                    }
                }
            }
        });
    }

    /// <summary>
    /// Mean softmax cross-entropy over the batch: −(1/N) Σ log softmax(logits)[label] (nn.CrossEntropyLoss, mean reduction).
    /// </summary>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Dim(0) != labels.Length)
        {
            throw new ArgumentException($"SoftmaxCrossEntropy: logits {logits.ShapeString()} for {labels.Length} labels (expected [{labels.Length}, classes]).");
        }

        int n = logits.Dim(0), k = logits.Dim(1);
        var probs = new float[n * k];
        var lab = labels.ToArray();
        double loss = 0;
        for (var i = 0; i < n; i++)
        {
            if ((uint)lab[i] >= (uint)k)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), lab[i], $"Label at index {i} is outside [0, {k}).");
            }

            var row = logits.Data.AsSpan(i * k, k);
            var p = probs.AsSpan(i * k, k);

            // log-sum-exp with the max subtracted, evaluated in double for a stable loss value.
            var max = TensorPrimitives.Max(row);
            double z = 0;
            for (var j = 0; j < k; j++)
            {
                var e = Math.Exp(row[j] - max);
                p[j] = (float)e;
                z += e;
            }

            for (var j = 0; j < k; j++)
            {
                p[j] = (float)(p[j] / z);
            }

            loss += Math.Log(z) + max - row[lab[i]];
        }

        return Tensor.Result([(float)(loss / n)], [1], [logits], o =>
        {
            // d/dz of mean CE = (softmax − onehot) / N.
            var scale = o.Grad![0] / n;
            var g = new float[n * k];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    g[(i * k) + j] = (probs[(i * k) + j] - (j == lab[i] ? 1f : 0f)) * scale;
                }
            }

            logits.AccumulateGradOwned(g);
        });
    }

    /// <summary>Row-wise softmax (no gradient), e.g. for reporting probabilities.</summary>
    public static float[] Softmax(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        int n = logits.Dim(0), k = logits.Length / Math.Max(1, logits.Dim(0));
        var y = new float[logits.Length];
        for (var i = 0; i < n; i++)
        {
            TensorPrimitives.SoftMax(logits.Data.AsSpan(i * k, k), y.AsSpan(i * k, k));
        }

        return y;
    }

    /// <summary>Index of the largest logit of each row (first on ties).</summary>
    public static int[] ArgMax(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        int n = logits.Dim(0), k = logits.Length / Math.Max(1, logits.Dim(0));
        var y = new int[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = TensorPrimitives.IndexOfMax(logits.Data.AsSpan(i * k, k));
        }

        return y;
    }

    /// <summary>Checks a and b for an elementwise op and returns its output buffer.</summary>
    private static float[] SameShapeOutput(Tensor a, Tensor b, string op)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        RequireSameShape(a, b, op);
        return new float[a.Length];
    }

    private static void RequireSameShape(Tensor a, Tensor b, string op)
    {
        if (a.Rank != b.Rank || !a.Shape.SequenceEqual(b.Shape))
        {
            throw new ArgumentException($"{op}: shapes {a.ShapeString()} and {b.ShapeString()} differ.");
        }
    }

    private static void CheckBias(Tensor? bias, int channels, string op)
    {
        if (bias is not null && bias.Length != channels)
        {
            throw new ArgumentException($"{op}: bias {bias.ShapeString()} for {channels} output channels.");
        }
    }
}

using CimHil.Simulation.Engine;
using CimHil.Simulation.Engine.Kernels;
using CimHil.Simulation.Nn;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CimHil.Simulation.MonteCarlo;

/// <summary>
/// A fast, allocation-free inference path for plain feed-forward networks (Sequential of Conv2d, Linear, ReLU, MaxPool2d,
/// Flatten), used by the Monte-Carlo loop with per-chip effective weights. Activations are kept as channel planes of a
/// cache-sized chunk of images (CNHW); stride-1 convolutions run as direct convolutions from the padded planes, others as one
/// product Y[O, n·p] = W[O, C·kh·kw]·cols, every linear layer as Yᵀ = W·Xᵀ (OpenBLAS when loaded), bias and ReLU fused
/// into one pass; all buffers live in a reusable <see cref="InferenceWorkspace"/>. Networks with other modules
/// (BatchNorm, residual blocks) are not compiled: <see cref="TryCompile"/> returns null and the caller uses Network.Forward.
/// </summary>
public sealed class InferencePlan
{
    private readonly List<Step> _steps;

    private InferencePlan(Network network, List<Step> steps, int chunk, int maxActivation, int maxColumns)
    {
        MaxPadded = steps.Where(st => st.Kind == StepKind.Conv)
            .Select(st => (Conv2d)st.Layer!)
            .Zip(steps.Where(st => st.Kind == StepKind.Conv), (conv, st) => st.InC * chunk * (st.InH + (2 * conv.Padding)) * (st.InW + (2 * conv.Padding)))
            .DefaultIfEmpty(0)
            .Max();
        Network = network;
        _steps = steps;
        ChunkSize = chunk;
        MaxActivation = maxActivation;
        MaxColumns = maxColumns;
    }

    /// <summary>The network this plan runs.</summary>
    public Network Network { get; }

    /// <summary>Images per GEMM chunk (chosen so the largest unfolded input stays within a few MiB).</summary>
    public int ChunkSize { get; }

    internal int MaxActivation { get; }

    internal int MaxColumns { get; }

    internal int MaxPadded { get; }

    /// <summary>Compiles <paramref name="network"/>, or returns null when it contains modules this plan does not support.</summary>
    public static InferencePlan? TryCompile(Network network, int chunkSize = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Body is not Sequential seq || network.InputShape.Count != 3)
        {
            return null;
        }

        int c = network.InputShape[0], h = network.InputShape[1], w = network.InputShape[2];
        var flat = false;
        (int C, int H, int W)? flattenedFrom = null;
        var steps = new List<Step>();
        var weightIndex = 0;
        long perImageActivation = c * h * w, perImageColumns = 0;
        foreach (var (_, module) in seq.Layers)
        {
            switch (module)
            {
                case Conv2d conv when !flat:
                    {
                        var oh = ((h + (2 * conv.Padding) - conv.Kernel) / conv.Stride) + 1;
                        var ow = ((w + (2 * conv.Padding) - conv.Kernel) / conv.Stride) + 1;
                        steps.Add(new Step(StepKind.Conv, weightIndex++, conv, c, h, w, conv.OutChannels, oh, ow));
                        perImageColumns = Math.Max(perImageColumns, (long)oh * ow * conv.FanIn);
                        (c, h, w) = (conv.OutChannels, oh, ow);
                        break;
                    }

                case MaxPool2d pool when !flat:
                    {
                        var oh = ((h - pool.Kernel) / pool.Stride) + 1;
                        var ow = ((w - pool.Kernel) / pool.Stride) + 1;
                        steps.Add(new Step(StepKind.MaxPool, -1, null, c, h, w, c, oh, ow, pool.Kernel, pool.Stride));
                        (h, w) = (oh, ow);
                        break;
                    }

                case Relu:
                    if (steps.Count > 0 && steps[^1].Kind is StepKind.Conv or StepKind.Linear && !steps[^1].Relu)
                    {
                        steps[^1] = steps[^1] with { Relu = true };
                    }
                    else
                    {
                        steps.Add(new Step(StepKind.Relu, -1, null, c, h, w, c, h, w));
                    }

                    break;
                case Flatten when !flat:
                    flat = true;
                    flattenedFrom = (c, h, w);
                    (c, h, w) = (c * h * w, 1, 1);
                    break;
                case Linear lin when (flat || (h == 1 && w == 1)) && lin.InFeatures == c:
                    steps.Add(new Step(StepKind.Linear, weightIndex++, lin, c, 1, 1, lin.OutFeatures, 1, 1) { FlattenedFrom = flattenedFrom });
                    flattenedFrom = null;
                    c = lin.OutFeatures;
                    flat = true;
                    break;
                default:
                    return null;
            }

            perImageActivation = Math.Max(perImageActivation, (long)c * h * w);
        }

        if (weightIndex != network.WeightedLayers.Count || c != network.ClassCount)
        {
            return null;
        }

        // ~2 MiB of unfolded input per chunk keeps the unfold and the product in cache; at least 32 images so the linear layers'
        // products (n = images) fill whole 8-wide vectors (LeNet-5 measured fastest at 32).
        var chunk = chunkSize > 0 ? chunkSize : (int)Math.Clamp(((1L << 21) / 4 / Math.Max(1, perImageColumns) + 7) / 8 * 8, 32, 256);
        return new InferencePlan(network, steps, chunk, (int)(perImageActivation * chunk), (int)(perImageColumns * chunk));
    }

    /// <summary>A workspace for one thread (buffers for a chunk and for the prepared weights).</summary>
    public InferenceWorkspace CreateWorkspace() => new(this);

    /// <summary>
    /// Binds the per-layer weight matrices (index = weighted-layer index, [O, C·kh·kw] / [out, in] as the engine stores them)
    /// to the workspace (no copy: the arrays must stay unchanged while the workspace runs). Call once per weight set.
    /// </summary>
    public void PrepareWeights(InferenceWorkspace workspace, IReadOnlyList<float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(weights);
        for (var i = 0; i < workspace.Weights.Length; i++)
        {
            if (weights[i].Length != Network.WeightedLayers[i].Weight.Length)
            {
                throw new ArgumentException($"Weight {i} ('{Network.WeightedLayers[i].Path}') has {weights[i].Length} values, the layer {Network.WeightedLayers[i].Weight.Length}.", nameof(weights));
            }

            workspace.Weights[i] = weights[i];
        }
    }

    /// <summary>Number of correct top-1 predictions on a batch [n, C, H, W] with the weights last prepared in the workspace.</summary>
    public int CountCorrect(InferenceWorkspace workspace, Tensor batch, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(batch);
        var n = batch.Dim(0);
        var correct = 0;
        var per = batch.Length / Math.Max(1, n);
        for (var start = 0; start < n; start += ChunkSize)
        {
            var count = Math.Min(ChunkSize, n - start);
            var logits = Run(workspace, batch.Data.AsSpan(start * per, count * per), count);
            var classes = Network.ClassCount;
            for (var i = 0; i < count; i++)
            {
                var row = logits.Slice(i * classes, classes);
                var best = 0;
                for (var j = 1; j < classes; j++)
                {
                    if (row[j] > row[best])
                    {
                        best = j;
                    }
                }

                if (best == labels[start + i])
                {
                    correct++;
                }
            }
        }

        return correct;
    }

    /// <summary>Logits [count, classes] of <paramref name="count"/> NCHW images (a view into the workspace).</summary>
    public ReadOnlySpan<float> Run(InferenceWorkspace workspace, ReadOnlySpan<float> images, int count)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (count > ChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} images exceed the plan's chunk of {ChunkSize}");
        }

        var cur = workspace.A;
        var next = workspace.B;
        int c = Network.InputShape[0], h = Network.InputShape[1], w = Network.InputShape[2];

        // NCHW → CNHW (channel planes of the whole chunk): each conv is then one GEMM Y[O, n·p] = W[O, C·k·k]·cols[C·k·k, n·p]
        // whose unfold copies contiguous image rows (Chellapilla et al. 2006 layout, per chunk).
        var hw = h * w;
        if (c == 1)
        {
            images[..(count * hw)].CopyTo(cur);
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                for (var ch = 0; ch < c; ch++)
                {
                    images.Slice(((i * c) + ch) * hw, hw).CopyTo(cur.AsSpan(((ch * count) + i) * hw, hw));
                }
            }
        }

        var length = count * c * hw;
        var flat = false;
        foreach (var s in _steps)
        {
            switch (s.Kind)
            {
                case StepKind.Conv:
                    {
                        var conv = (Conv2d)s.Layer!;
                        var k = conv.Kernel;
                        var fan = k * k * s.InC;
                        var m = count * s.OutH * s.OutW;
                        if (UseDirect(s, conv) && s.OutC % 16 == 0)
                        {
                            var src = Im2Col.Pad(cur, count, s.InC, s.InH, s.InW, conv.Padding, workspace.Padded);
                            DirectConvolution.ByChannel(src, count, s.InC, s.InH + (2 * conv.Padding), s.InW + (2 * conv.Padding), k, s.OutH, s.OutW, workspace.Weights[s.WeightIndex], s.OutC, next, workspace.Packed);
                        }
                        else if (UseDirect(s, conv))
                        {
                            var src = Im2Col.Pad(cur, count, s.InC, s.InH, s.InW, conv.Padding, workspace.Padded);
                            DirectConvolution.ByPixel(src, count, s.InC, s.InH + (2 * conv.Padding), s.InW + (2 * conv.Padding), k, s.OutH, s.OutW, workspace.Weights[s.WeightIndex], s.OutC, next, workspace.Packed);
                        }
                        else
                        {
                            Im2Col.Unfold(cur, count, s.InC, s.InH, s.InW, k, conv.Stride, conv.Padding, s.OutH, s.OutW, workspace.Columns, workspace.Padded);
                            Multiply(workspace.Weights[s.WeightIndex], s.OutC, fan, workspace.Columns.AsSpan(0, fan * m), m, next.AsSpan(0, s.OutC * m));
                        }

                        ChannelEpilogue.BiasRelu(next.AsSpan(0, s.OutC * m), s.OutC, conv.Bias?.Data, s.Relu);
                        length = m * s.OutC;
                        (cur, next) = (next, cur);
                        break;
                    }

                case StepKind.Linear:
                    {
                        var lin = (Linear)s.Layer!;
                        if (!flat)
                        {
                            // CNHW → feature-major Xᵀ [C·H·W, n] in the engine's (PyTorch) flatten order (c, y, x).
                            var f = s.FlattenedFrom ?? (s.InC, 1, 1);
                            var plane = f.H * f.W;
                            for (var ch = 0; ch < f.C; ch++)
                            {
                                for (var i = 0; i < count; i++)
                                {
                                    var src = ((ch * count) + i) * plane;
                                    for (var p = 0; p < plane; p++)
                                    {
                                        next[(((ch * plane) + p) * count) + i] = cur[src + p];
                                    }
                                }
                            }

                            (cur, next) = (next, cur);
                            flat = true;
                        }

                        // Yᵀ [out, n] = W [out, in] · Xᵀ [in, n]: activations stay feature-major between linear layers.
                        Multiply(workspace.Weights[s.WeightIndex], s.OutC, s.InC, cur.AsSpan(0, s.InC * count), count, next.AsSpan(0, s.OutC * count));
                        ChannelEpilogue.BiasRelu(next.AsSpan(0, count * s.OutC), s.OutC, lin.Bias?.Data, s.Relu);
                        length = count * s.OutC;
                        (cur, next) = (next, cur);
                        break;
                    }

                case StepKind.MaxPool:
                    Pooling.Max(cur, next, count * s.InC, s.InH, s.InW, s.PoolKernel, s.PoolStride, s.OutH, s.OutW);
                    length = count * s.OutH * s.OutW * s.InC;
                    (cur, next) = (next, cur);
                    break;
                case StepKind.Relu:
                    TensorPrimitives.Max(cur.AsSpan(0, length), 0f, cur.AsSpan(0, length));
                    break;
            }

        }

        // [classes, n] → [n, classes].
        var classes = Network.ClassCount;
        for (var j = 0; j < classes; j++)
        {
            for (var i = 0; i < count; i++)
            {
                next[(i * classes) + j] = cur[(j * count) + i];
            }
        }

        return next.AsSpan(0, count * classes);
    }

    /// <summary>
    /// C[m, n] = A[m, k]·B[k, n] (row-major) through the engine's one GEMM (<see cref="Gemm.Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>):
    /// OpenBLAS's packed kernels beat a hand kernel on every LeNet layer (measured: conv2 ≈ 2×, fc1 ≈ 1.6×); the Monte-Carlo
    /// loop runs it single-threaded (Gemm.SingleThreaded) because it already keeps one worker per core busy.
    /// </summary>
    private static void Multiply(float[] a, int m, int k, ReadOnlySpan<float> b, int n, Span<float> c) =>
        Gemm.Multiply(false, false, m, n, k, a.AsSpan(0, m * k), b[..(k * n)], c[..(m * n)]);

    /// <summary>
    /// Stride-1 convolutions with output rows at least this wide run as a direct convolution (see <see cref="DirectConvolution.ByPixel"/>):
    /// measured on LeNet-5, conv2 (rows of 10 in 16-lane steps) is still faster direct than unfold + OpenBLAS sgemm.
    /// </summary>
    private const int DirectMinOutputWidth = 8;

    private static bool UseDirect(Step s, Conv2d conv) => conv.Stride == 1 && s.OutW >= DirectMinOutputWidth;

    /// <summary>What one compiled step does (read by other backends, e.g. the CUDA one, to run the same plan).</summary>
    public enum StepKind
    {
        Conv,
        Linear,
        MaxPool,
        Relu,
    }

    /// <summary>One compiled step: its input and output shapes per image (C, H, W), its layer (weight index, or −1) and fusions.</summary>
    public sealed record Step(StepKind Kind, int WeightIndex, IWeightedLayer? Layer, int InC, int InH, int InW, int OutC, int OutH, int OutW, int PoolKernel = 0, int PoolStride = 0)
    {
        /// <summary>ReLU fused after the product and bias.</summary>
        public bool Relu { get; init; }

        /// <summary>For the first linear layer after a Flatten: the (C, H, W) that was flattened.</summary>
        public (int C, int H, int W)? FlattenedFrom { get; init; }
    }

    /// <summary>The compiled steps in order.</summary>
    public IReadOnlyList<Step> Steps => _steps;
}

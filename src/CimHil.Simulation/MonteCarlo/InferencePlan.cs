using CimHil.Simulation.Engine;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CimHil.Simulation.Nn;

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
                            var src = Pad(cur, count, s.InC, s.InH, s.InW, conv.Padding, workspace.Padded);
                            DirectConvByChannel(src, count, s.InC, s.InH + (2 * conv.Padding), s.InW + (2 * conv.Padding), k, s.OutH, s.OutW, workspace.Weights[s.WeightIndex], s.OutC, next, workspace.Packed);
                        }
                        else if (UseDirect(s, conv))
                        {
                            var src = Pad(cur, count, s.InC, s.InH, s.InW, conv.Padding, workspace.Padded);
                            DirectConv(src, count, s.InC, s.InH + (2 * conv.Padding), s.InW + (2 * conv.Padding), k, s.OutH, s.OutW, workspace.Weights[s.WeightIndex], s.OutC, next, workspace.Packed);
                        }
                        else
                        {
                            Unfold(cur, count, s.InC, s.InH, s.InW, k, conv.Stride, conv.Padding, s.OutH, s.OutW, workspace.Columns, workspace.Padded);
                            MultiplyPanel(workspace.Weights[s.WeightIndex], s.OutC, fan, workspace.Columns.AsSpan(0, fan * m), m, next.AsSpan(0, s.OutC * m), workspace.Packed);
                        }

                        ChannelBiasRelu(next.AsSpan(0, s.OutC * m), s.OutC, conv.Bias?.Data, s.Relu);
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
                        MultiplyPanel(workspace.Weights[s.WeightIndex], s.OutC, s.InC, cur.AsSpan(0, s.InC * count), count, next.AsSpan(0, s.OutC * count), workspace.Packed);
                        ChannelBiasRelu(next.AsSpan(0, count * s.OutC), s.OutC, lin.Bias?.Data, s.Relu);
                        length = count * s.OutC;
                        (cur, next) = (next, cur);
                        break;
                    }

                case StepKind.MaxPool:
                    MaxPool(cur, next, count * s.InC, s.InH, s.InW, s.PoolKernel, s.PoolStride, s.OutH, s.OutW);
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

    private static void ChannelBiasRelu(Span<float> y, int channels, float[]? bias, bool relu)
    {
        var per = y.Length / channels;
        for (var ch = 0; ch < channels; ch++)
        {
            var row = y.Slice(ch * per, per);
            if (bias is not null)
            {
                TensorPrimitives.Add(row, bias[ch], row);
            }

            if (relu)
            {
                TensorPrimitives.Max(row, 0f, row);
            }
        }
    }

    /// <summary>
    /// C[m, n] = A[m, k]·B[k, n] (row-major) for the small m of these layers (output channels / features). With OpenBLAS
    /// loaded this is one cblas_sgemm (the Monte-Carlo loop makes it single-threaded, see Gemm.SingleThreaded); otherwise a
    /// register-blocked kernel that keeps 8 rows × 8 columns of C in vector registers while streaming B once per 8 rows.
    /// A is packed as [m/8][k][8] so the 8 weights of one k sit together (the usual GEMM micro-kernel layout, Goto &amp; van de
    /// Geijn, ACM TOMS 34(3), 2008).
    /// </summary>
    internal static void MultiplyPanel(float[] a, int m, int k, ReadOnlySpan<float> b, int n, Span<float> c, float[] packed)
    {
        if (Gemm.Backend == GemmBackend.OpenBlas)
        {
            // OpenBLAS's packed kernels beat this one on every LeNet layer (measured: conv2 ≈ 2×, fc1 ≈ 1.6×); the Monte-Carlo
            // loop runs it single-threaded (Gemm.SingleThreaded) because it already keeps one worker per core busy.
            Gemm.Multiply(false, false, m, n, k, a.AsSpan(0, m * k), b[..(k * n)], c[..(m * n)]);
            return;
        }

        var passes = (m + 7) / 8;
        for (var p = 0; p < passes; p++)
        {
            for (var kk = 0; kk < k; kk++)
            {
                for (var r = 0; r < 8; r++)
                {
                    var row = (p * 8) + r;
                    packed[(((p * k) + kk) * 8) + r] = row < m ? a[(row * k) + kk] : 0f;
                }
            }
        }

        ref var bRef = ref MemoryMarshal.GetReference(b);
        ref var wRef = ref MemoryMarshal.GetArrayDataReference(packed);
        var vectorEnd = n - (n % 8);
        Span<float> tail = stackalloc float[8];
        for (var p = 0; p < passes; p++)
        {
            var rows = Math.Min(8, m - (p * 8));
            for (var j = 0; j < vectorEnd; j += 8)
            {
                Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                ref var w = ref Unsafe.Add(ref wRef, p * k * 8);
                for (var kk = 0; kk < k; kk++)
                {
                    var bv = Vector256.LoadUnsafe(ref bRef, (nuint)((kk * n) + j));
                    ref var wk = ref Unsafe.Add(ref w, kk * 8);
                    c0 = Vector256.FusedMultiplyAdd(Vector256.Create(wk), bv, c0);
                    c1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wk, 1)), bv, c1);
                    c2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wk, 2)), bv, c2);
                    c3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wk, 3)), bv, c3);
                    c4 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wk, 4)), bv, c4);
                    c5 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wk, 5)), bv, c5);
                    c6 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wk, 6)), bv, c6);
                    c7 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref wk, 7)), bv, c7);
                }

                var baseRow = p * 8;
                Store(c, n, baseRow, rows, 0, j, c0);
                Store(c, n, baseRow, rows, 1, j, c1);
                Store(c, n, baseRow, rows, 2, j, c2);
                Store(c, n, baseRow, rows, 3, j, c3);
                Store(c, n, baseRow, rows, 4, j, c4);
                Store(c, n, baseRow, rows, 5, j, c5);
                Store(c, n, baseRow, rows, 6, j, c6);
                Store(c, n, baseRow, rows, 7, j, c7);
            }

            for (var j = vectorEnd; j < n; j++)
            {
                tail.Clear();
                for (var kk = 0; kk < k; kk++)
                {
                    var bv = b[(kk * n) + j];
                    for (var r = 0; r < 8; r++)
                    {
                        tail[r] += packed[(((p * k) + kk) * 8) + r] * bv;
                    }
                }

                for (var r = 0; r < rows; r++)
                {
                    c[(((p * 8) + r) * n) + j] = tail[r];
                }
            }
        }

        static void Store(Span<float> c, int n, int baseRow, int rows, int r, int j, Vector256<float> v)
        {
            if (r < rows)
            {
                v.CopyTo(c.Slice(((baseRow + r) * n) + j, 8));
            }
        }
    }

    /// <summary>
    /// Stride-1 convolutions with output rows at least this wide run as a direct convolution (see <see cref="DirectConv"/>):
    /// measured on LeNet-5, conv2 (rows of 10 in 16-lane steps) is still faster direct than unfold + OpenBLAS sgemm.
    /// </summary>
    private const int DirectMinOutputWidth = 8;

    private static bool UseDirect(Step s, Conv2d conv) => conv.Stride == 1 && s.OutW >= DirectMinOutputWidth;

    /// <summary>The CNHW planes zero-padded by <paramref name="pad"/> into <paramref name="padded"/> (or <paramref name="x"/> itself when pad = 0).</summary>
    private static float[] Pad(float[] x, int count, int c, int h, int w, int pad, float[] padded)
    {
        if (pad == 0)
        {
            return x;
        }

        int hp = h + (2 * pad), wp = w + (2 * pad);
        var planes = c * count;
        padded.AsSpan(0, planes * hp * wp).Clear();
        for (var pl = 0; pl < planes; pl++)
        {
            for (var y = 0; y < h; y++)
            {
                x.AsSpan(((pl * h) + y) * w, w).CopyTo(padded.AsSpan((((pl * hp) + y + pad) * wp) + pad, w));
            }
        }

        return padded;
    }

    /// <summary>
    /// Stride-1 convolution straight from the padded CNHW planes, without an unfolded matrix: for a block of 6 output
    /// channels and 16 adjacent output pixels of one row, the 12 accumulators stay in vector registers while the kernel
    /// walks the C·k·k taps (each tap = two unaligned loads of the input row shifted by (ki, kj), six broadcast weights).
    /// This is the "direct convolution" of Zhang, Franchetti &amp; Low (ICML 2018): it performs exactly the GEMM's
    /// multiply-adds but skips writing and re-reading the k²-times larger unfolded input, which dominated the time for conv1.
    /// Lanes past the row end are computed from the slack behind the row and discarded (the buffers carry
    /// <see cref="InferenceWorkspace.Slack"/> extra floats). Output: y[O, n, oy, ox] (channel planes of the chunk).
    /// </summary>
    internal static void DirectConv(float[] src, int count, int c, int hp, int wp, int k, int oh, int ow, float[] w, int outC, float[] y, float[] packed)
    {
        const int R = 6;
        var fan = c * k * k;
        var blocks = (outC + R - 1) / R;
        PackChannelBlocks(w, outC, fan, R, packed);
        var plane = hp * wp;
        Span<int> offsets = fan <= 4096 ? stackalloc int[fan] : new int[fan];
        TapOffsets(c, k, count * plane, wp, offsets);

        ref var s0 = ref MemoryMarshal.GetArrayDataReference(src);
        ref var p0 = ref MemoryMarshal.GetArrayDataReference(packed);
        ref var o0 = ref MemoryMarshal.GetReference(offsets);
        var outPlane = oh * ow;
        var outStride = count * outPlane;
        Span<float> acc = stackalloc float[R * 16];
        ref var accRef = ref MemoryMarshal.GetReference(acc);
        for (var b = 0; b < blocks; b++)
        {
            var rows = Math.Min(R, outC - (b * R));
            ref var wb = ref Unsafe.Add(ref p0, b * fan * R);
            for (var n = 0; n < count; n++)
            {
                for (var oy = 0; oy < oh; oy++)
                {
                    var rowBase = (n * plane) + (oy * wp);
                    for (var ox = 0; ox < ow; ox += 16)
                    {
                        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
                        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
                        ref var xs = ref Unsafe.Add(ref s0, rowBase + ox);
                        for (var f = 0; f < fan; f++)
                        {
                            ref var xf = ref Unsafe.Add(ref xs, Unsafe.Add(ref o0, f));
                            var x0 = Vector256.LoadUnsafe(ref xf);
                            var x1 = Vector256.LoadUnsafe(ref xf, 8);
                            ref var wf = ref Unsafe.Add(ref wb, f * R);
                            var wv = Vector256.Create(wf);
                            a0 = Vector256.FusedMultiplyAdd(wv, x0, a0);
                            b0 = Vector256.FusedMultiplyAdd(wv, x1, b0);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 1));
                            a1 = Vector256.FusedMultiplyAdd(wv, x0, a1);
                            b1 = Vector256.FusedMultiplyAdd(wv, x1, b1);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 2));
                            a2 = Vector256.FusedMultiplyAdd(wv, x0, a2);
                            b2 = Vector256.FusedMultiplyAdd(wv, x1, b2);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 3));
                            a3 = Vector256.FusedMultiplyAdd(wv, x0, a3);
                            b3 = Vector256.FusedMultiplyAdd(wv, x1, b3);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 4));
                            a4 = Vector256.FusedMultiplyAdd(wv, x0, a4);
                            b4 = Vector256.FusedMultiplyAdd(wv, x1, b4);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 5));
                            a5 = Vector256.FusedMultiplyAdd(wv, x0, a5);
                            b5 = Vector256.FusedMultiplyAdd(wv, x1, b5);
                        }

                        // Park the accumulators in a stack buffer before any call (Span copies call memmove): on SysV x64 a call
                        // clobbers every vector register, and the JIT would then spill all 12 accumulators inside the tap loop.
                        a0.StoreUnsafe(ref accRef, 0);
                        b0.StoreUnsafe(ref accRef, 8);
                        a1.StoreUnsafe(ref accRef, 16);
                        b1.StoreUnsafe(ref accRef, 24);
                        a2.StoreUnsafe(ref accRef, 32);
                        b2.StoreUnsafe(ref accRef, 40);
                        a3.StoreUnsafe(ref accRef, 48);
                        b3.StoreUnsafe(ref accRef, 56);
                        a4.StoreUnsafe(ref accRef, 64);
                        b4.StoreUnsafe(ref accRef, 72);
                        a5.StoreUnsafe(ref accRef, 80);
                        b5.StoreUnsafe(ref accRef, 88);
                        var valid = Math.Min(16, ow - ox);
                        var outBase = (n * outPlane) + (oy * ow) + ox;
                        for (var r = 0; r < rows; r++)
                        {
                            acc.Slice(r * 16, valid).CopyTo(y.AsSpan((((b * R) + r) * outStride) + outBase, valid));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Stride-1 direct convolution vectorised over output channels instead of output pixels, for layers with a multiple of
    /// 16 output channels: the 16 channels of a block fill two vectors exactly, so narrow rows waste no lanes (LeNet's conv2,
    /// rows of 10, wasted 44 % of the lanes in <see cref="DirectConv"/>'s 16-pixel × 6-channel blocks). Five adjacent output
    /// pixels × 16 channels = 10 accumulators stay in registers; each tap loads the 16 packed weights once and broadcasts
    /// five inputs. Output layout as <see cref="DirectConv"/>: y[O, n, oy, ox].
    /// </summary>
    internal static void DirectConvByChannel(float[] src, int count, int c, int hp, int wp, int k, int oh, int ow, float[] w, int outC, float[] y, float[] packed)
    {
        const int R = 16, P = 5;
        var fan = c * k * k;
        var blocks = outC / R;
        PackChannelBlocks(w, outC, fan, R, packed);
        var plane = hp * wp;
        Span<int> offsets = fan <= 4096 ? stackalloc int[fan] : new int[fan];
        TapOffsets(c, k, count * plane, wp, offsets);

        ref var s0 = ref MemoryMarshal.GetArrayDataReference(src);
        ref var p0 = ref MemoryMarshal.GetArrayDataReference(packed);
        ref var o0 = ref MemoryMarshal.GetReference(offsets);
        ref var y0 = ref MemoryMarshal.GetArrayDataReference(y);
        var outPlane = oh * ow;
        var outStride = count * outPlane;
        Span<float> acc = stackalloc float[P * R];
        ref var accRef = ref MemoryMarshal.GetReference(acc);
        for (var b = 0; b < blocks; b++)
        {
            ref var wb = ref Unsafe.Add(ref p0, b * fan * R);
            ref var yb = ref Unsafe.Add(ref y0, b * R * outStride);
            for (var n = 0; n < count; n++)
            {
                for (var oy = 0; oy < oh; oy++)
                {
                    var rowBase = (n * plane) + (oy * wp);
                    var outBase = (n * outPlane) + (oy * ow);
                    var ox = 0;
                    for (; ox + P <= ow; ox += P)
                    {
                        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
                        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default;
                        ref var xs = ref Unsafe.Add(ref s0, rowBase + ox);
                        for (var f = 0; f < fan; f++)
                        {
                            ref var xf = ref Unsafe.Add(ref xs, Unsafe.Add(ref o0, f));
                            ref var wf = ref Unsafe.Add(ref wb, f * R);
                            var w0 = Vector256.LoadUnsafe(ref wf);
                            var w1 = Vector256.LoadUnsafe(ref wf, 8);
                            var x = Vector256.Create(xf);
                            a0 = Vector256.FusedMultiplyAdd(w0, x, a0);
                            b0 = Vector256.FusedMultiplyAdd(w1, x, b0);
                            x = Vector256.Create(Unsafe.Add(ref xf, 1));
                            a1 = Vector256.FusedMultiplyAdd(w0, x, a1);
                            b1 = Vector256.FusedMultiplyAdd(w1, x, b1);
                            x = Vector256.Create(Unsafe.Add(ref xf, 2));
                            a2 = Vector256.FusedMultiplyAdd(w0, x, a2);
                            b2 = Vector256.FusedMultiplyAdd(w1, x, b2);
                            x = Vector256.Create(Unsafe.Add(ref xf, 3));
                            a3 = Vector256.FusedMultiplyAdd(w0, x, a3);
                            b3 = Vector256.FusedMultiplyAdd(w1, x, b3);
                            x = Vector256.Create(Unsafe.Add(ref xf, 4));
                            a4 = Vector256.FusedMultiplyAdd(w0, x, a4);
                            b4 = Vector256.FusedMultiplyAdd(w1, x, b4);
                        }

                        // Parked before the scalar scatter (see DirectConv: a call would make the JIT spill the accumulators).
                        a0.StoreUnsafe(ref accRef, 0);
                        b0.StoreUnsafe(ref accRef, 8);
                        a1.StoreUnsafe(ref accRef, 16);
                        b1.StoreUnsafe(ref accRef, 24);
                        a2.StoreUnsafe(ref accRef, 32);
                        b2.StoreUnsafe(ref accRef, 40);
                        a3.StoreUnsafe(ref accRef, 48);
                        b3.StoreUnsafe(ref accRef, 56);
                        a4.StoreUnsafe(ref accRef, 64);
                        b4.StoreUnsafe(ref accRef, 72);
                        for (var r = 0; r < R; r++)
                        {
                            ref var yr = ref Unsafe.Add(ref yb, (r * outStride) + outBase + ox);
                            for (var q = 0; q < P; q++)
                            {
                                Unsafe.Add(ref yr, q) = Unsafe.Add(ref accRef, (q * R) + r);
                            }
                        }
                    }

                    // Row tail (ow not a multiple of 5): one pixel at a time.
                    for (; ox < ow; ox++)
                    {
                        Vector256<float> a0 = default, b0 = default;
                        ref var xs = ref Unsafe.Add(ref s0, rowBase + ox);
                        for (var f = 0; f < fan; f++)
                        {
                            ref var wf = ref Unsafe.Add(ref wb, f * R);
                            var x = Vector256.Create(Unsafe.Add(ref xs, Unsafe.Add(ref o0, f)));
                            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref wf), x, a0);
                            b0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref wf, 8), x, b0);
                        }

                        a0.StoreUnsafe(ref accRef, 0);
                        b0.StoreUnsafe(ref accRef, 8);
                        for (var r = 0; r < R; r++)
                        {
                            Unsafe.Add(ref yb, (r * outStride) + outBase + ox) = Unsafe.Add(ref accRef, r);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// W [outC, fan] repacked as [⌈outC/R⌉][fan][R]: the R output channels of one tap side by side (zero rows pad the last block),
    /// the layout both direct-convolution kernels stream.
    /// </summary>
    private static void PackChannelBlocks(float[] w, int outC, int fan, int r, float[] packed)
    {
        var blocks = (outC + r - 1) / r;
        for (var b = 0; b < blocks; b++)
        {
            for (var f = 0; f < fan; f++)
            {
                for (var q = 0; q < r; q++)
                {
                    var row = (b * r) + q;
                    packed[(((b * fan) + f) * r) + q] = row < outC ? w[(row * fan) + f] : 0f;
                }
            }
        }
    }

    /// <summary>Offset of every tap (channel, ki, kj) from the top-left input of an output pixel, in CNHW planes of <paramref name="channelStride"/> floats.</summary>
    private static void TapOffsets(int c, int k, int channelStride, int wp, Span<int> offsets)
    {
        for (var ch = 0; ch < c; ch++)
        {
            for (var ki = 0; ki < k; ki++)
            {
                for (var kj = 0; kj < k; kj++)
                {
                    offsets[(((ch * k) + ki) * k) + kj] = (ch * channelStride) + (ki * wp) + kj;
                }
            }
        }
    }

    /// <summary>
    /// cols[(c, ki, kj), (n, oy, ox)] from CNHW input: the planes are first zero-padded once into <paramref name="padded"/>, so
    /// every stride-1 row of the unfolded matrix is one contiguous copy with no bounds tests.
    /// </summary>
    private static void Unfold(float[] x, int count, int c, int h, int w, int k, int stride, int pad, int oh, int ow, float[] cols, float[] padded)
    {
        var m = count * oh * ow;
        int hp = h + (2 * pad), wp = w + (2 * pad);
        float[] src;
        if (pad == 0)
        {
            src = x;
        }
        else
        {
            src = padded;
            var planes = c * count;
            padded.AsSpan(0, planes * hp * wp).Clear();
            for (var pl = 0; pl < planes; pl++)
            {
                for (var y = 0; y < h; y++)
                {
                    x.AsSpan(((pl * h) + y) * w, w).CopyTo(padded.AsSpan((((pl * hp) + y + pad) * wp) + pad, w));
                }
            }
        }

        var cs = cols.AsSpan();
        var ss = src.AsSpan();
        for (var ch = 0; ch < c; ch++)
        {
            for (var ki = 0; ki < k; ki++)
            {
                for (var kj = 0; kj < k; kj++)
                {
                    var colRow = cs.Slice((((ch * k) + ki) * k + kj) * m, m);
                    for (var n = 0; n < count; n++)
                    {
                        var plane = ((ch * count) + n) * hp * wp;
                        for (var oy = 0; oy < oh; oy++)
                        {
                            var start = plane + (((oy * stride) + ki) * wp) + kj;
                            var dst = colRow.Slice(((n * oh) + oy) * ow, ow);
                            if (stride == 1)
                            {
                                ss.Slice(start, ow).CopyTo(dst);
                            }
                            else
                            {
                                for (var ox = 0; ox < ow; ox++)
                                {
                                    dst[ox] = ss[start + (ox * stride)];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static void MaxPool(float[] x, float[] y, int planes, int h, int w, int k, int stride, int oh, int ow)
    {
        if (k == 2 && stride == 2 && ow >= 8 && Avx2.IsSupported)
        {
            MaxPool2x2Avx(x, y, planes, h, w, oh, ow);
            return;
        }

        if (k == 2 && stride == 2)
        {
            for (var p = 0; p < planes; p++)
            {
                for (var oy = 0; oy < oh; oy++)
                {
                    var r0 = (p * h * w) + (2 * oy * w);
                    var r1 = r0 + w;
                    var o = (p * oh * ow) + (oy * ow);
                    for (var ox = 0; ox < ow; ox++)
                    {
                        var i = 2 * ox;
                        y[o + ox] = Math.Max(Math.Max(x[r0 + i], x[r0 + i + 1]), Math.Max(x[r1 + i], x[r1 + i + 1]));
                    }
                }
            }

            return;
        }

        for (var p = 0; p < planes; p++)
        {
            var inPlane = p * h * w;
            var outPlane = p * oh * ow;
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    var top = inPlane + (oy * stride * w) + (ox * stride);
                    var best = x[top];
                    for (var ki = 0; ki < k; ki++)
                    {
                        var r = top + (ki * w);
                        for (var kj = 0; kj < k; kj++)
                        {
                            best = Math.Max(best, x[r + kj]);
                        }
                    }

                    y[outPlane + (oy * ow) + ox] = best;
                }
            }
        }
    }

    /// <summary>
    /// 2×2/2 max pooling, 8 outputs per step: the vertical max of two rows of 16 inputs, then even/odd lanes split by
    /// shufps (0x88 / 0xDD) and the 64-bit quarters put back in order by vpermpd 0xD8. The last step of a row is shifted
    /// back to end at the row end (it overlaps the previous one; max is idempotent), so rows of any width ≥ 8 need no scalar tail.
    /// </summary>
    private static void MaxPool2x2Avx(float[] x, float[] y, int planes, int h, int w, int oh, int ow)
    {
        ref var xr = ref MemoryMarshal.GetArrayDataReference(x);
        ref var yr = ref MemoryMarshal.GetArrayDataReference(y);
        for (var p = 0; p < planes; p++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                var r0 = (p * h * w) + (2 * oy * w);
                var r1 = r0 + w;
                var o = (p * oh * ow) + (oy * ow);
                for (var ox = 0; ox < ow; ox += 8)
                {
                    var at = Math.Min(ox, ow - 8);
                    var i = 2 * at;
                    var a = Avx.Max(Vector256.LoadUnsafe(ref xr, (nuint)(r0 + i)), Vector256.LoadUnsafe(ref xr, (nuint)(r1 + i)));
                    var b = Avx.Max(Vector256.LoadUnsafe(ref xr, (nuint)(r0 + i + 8)), Vector256.LoadUnsafe(ref xr, (nuint)(r1 + i + 8)));
                    var m = Avx.Max(Avx.Shuffle(a, b, 0x88), Avx.Shuffle(a, b, 0xDD));
                    Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle().StoreUnsafe(ref yr, (nuint)(o + at));
                }
            }
        }
    }

    internal enum StepKind
    {
        Conv,
        Linear,
        MaxPool,
        Relu,
    }

    internal sealed record Step(StepKind Kind, int WeightIndex, IWeightedLayer? Layer, int InC, int InH, int InW, int OutC, int OutH, int OutW, int PoolKernel = 0, int PoolStride = 0)
    {
        public bool Relu { get; init; }

        public (int C, int H, int W)? FlattenedFrom { get; init; }
    }

    internal IEnumerable<Step> Steps => _steps;
}

/// <summary>Per-thread buffers of an <see cref="InferencePlan"/>: two activation buffers, the unfolded input and the weights.</summary>
public sealed class InferenceWorkspace
{
    internal InferenceWorkspace(InferencePlan plan)
    {
        A = new float[plan.MaxActivation + Slack];
        B = new float[plan.MaxActivation + Slack];
        Columns = new float[Math.Max(1, plan.MaxColumns)];
        Padded = new float[Math.Max(1, plan.MaxPadded) + Slack];
        Packed = new float[plan.Network.WeightedLayers.Max(l => ((l.OutputCount + 23) / 24) * 24 * l.FanIn)]; // 8-row panels or 6-row direct-conv blocks
        Weights = plan.Network.WeightedLayers.Select(l => l.Weight.Data).ToArray();
    }

    /// <summary>Floats behind each input buffer that the direct convolution may read (and discard) past the last row.</summary>
    internal const int Slack = 64;

    internal float[] A { get; }

    internal float[] B { get; }

    internal float[] Columns { get; }

    internal float[] Packed { get; }

    internal float[] Padded { get; }

    internal float[][] Weights { get; }
}

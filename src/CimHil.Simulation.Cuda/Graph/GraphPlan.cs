using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Cuda.Graph;

/// <summary>
/// What the GPU runs for a network <see cref="MonteCarlo.InferencePlan"/> does not compile (BatchNorm, residual blocks,
/// imported ONNX graphs): the lowered ops with each BatchNorm and ReLU fused into the op before it where that op's output
/// has no other reader, and each value placed in one of a few reused device buffers (a buffer is free again after its
/// value's last reader). Built on the CPU, so CI tests it; <c>GraphForward</c> runs it.
/// </summary>
public sealed class GraphPlan
{
    private GraphPlan(MappedNetwork mapped, IReadOnlyList<GraphOp> ops, IReadOnlyList<GraphValue> values, int output, int[] bufferOf, long[] bufferSizes, bool broadcastInput)
    {
        Mapped = mapped;
        Ops = ops;
        Values = values;
        Output = output;
        BufferOf = bufferOf;
        BufferSizes = bufferSizes;
        BroadcastInput = broadcastInput;
    }

    /// <summary>The mapped network the plan was built from.</summary>
    public MappedNetwork Mapped { get; }

    /// <summary>The ops in order.</summary>
    public IReadOnlyList<GraphOp> Ops { get; }

    /// <summary>Per-image shape of every value (0: the network input).</summary>
    public IReadOnlyList<GraphValue> Values { get; }

    /// <summary>The value holding the logits ([classes] flat).</summary>
    public int Output { get; }

    /// <summary>Device buffer of each value (−1: the resident input, read in place).</summary>
    public IReadOnlyList<int> BufferOf { get; }

    /// <summary>Floats per chip and image of each buffer.</summary>
    public IReadOnlyList<long> BufferSizes { get; }

    /// <summary>True when an op other than a convolution reads the input, so it is first copied per chip into a buffer.</summary>
    public bool BroadcastInput { get; }

    /// <summary>Floats per chip and image of the largest unfolded convolution input that is not the network input.</summary>
    public long Columns => Ops.Where(o => o.Kind == GraphOpKind.Conv && o.Inputs[0] != 0 && Unfolds(o) && !Direct(o)).Select(ColumnsOf).DefaultIfEmpty(0).Max();

    /// <summary>Floats per image of the largest unfolded network input (one copy shared by all chips).</summary>
    public long SharedColumns => Ops.Where(o => o.Kind == GraphOpKind.Conv && o.Inputs[0] == 0 && Unfolds(o) && !Direct(o)).Select(ColumnsOf).DefaultIfEmpty(0).Max();

    /// <summary>Bytes of device memory per chip and image (buffers and unfolded columns).</summary>
    public long BytesPerChipImage => 4 * (BufferSizes.Sum() + Columns);

    /// <summary>The plan for <paramref name="mapped"/>; throws <see cref="CudaException"/> naming the first module or ONNX node the GPU lacks.</summary>
    public static GraphPlan Build(MappedNetwork mapped)
    {
        var (lowered, values, output) = GraphLowering.Lower(mapped);
        var ops = Fuse(lowered, output);
        var broadcast = ops.Any(o => o.Kind != GraphOpKind.Conv && o.Inputs.Contains(0)) || output == 0;
        var (bufferOf, sizes) = Place(ops, values, output, broadcast);
        return new GraphPlan(mapped, ops, values, output, bufferOf, sizes, broadcast);
    }

    /// <summary>Why the GPU cannot run <paramref name="mapped"/>, or null when it can.</summary>
    public static string? Unsupported(MappedNetwork mapped)
    {
        try
        {
            _ = Build(mapped);
            return null;
        }
        catch (CudaException e)
        {
            return e.Message;
        }
    }

    /// <summary>True when the convolution needs its input unfolded (all but 1×1, stride 1, no padding).</summary>
    public static bool Unfolds(GraphOp conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        var g = conv.Geometry;
        return !(conv.KernelH == 1 && conv.KernelW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0);
    }

    /// <summary>
    /// True when the convolution runs as montecarlo.cu's direct kernel (stride 1, 3×3 or 5×5, symmetric padding, no groups or
    /// dilation; unless <c>CIMHIL_CUDA_CONV=gemm</c>): it never writes the unfolded input, which bounds the im2col path by memory
    /// bandwidth (docs/gpu.md, "Convolutions"). Its bias, BatchNorm and ReLU then run in the epilogue kernel.
    /// </summary>
    public static bool Direct(GraphOp conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        var g = conv.Geometry;
        return !GemmOnly && conv.KernelH == conv.KernelW && conv.KernelH is 3 or 5 && g.StrideH == 1 && g.StrideW == 1 && g.Groups == 1
               && g.DilationH == 1 && g.DilationW == 1 && g.PadTop == g.PadLeft && g.PadTop == g.PadBottom && g.PadTop == g.PadRight;
    }

    private static readonly bool GemmOnly = Environment.GetEnvironmentVariable(BatchedForward.ConvolutionVariable) == "gemm";

    /// <summary>One line per op.</summary>
    public string Describe() => string.Join(Environment.NewLine, Ops.Select(o => $"{o.Describe()} {Values[o.Output]} buffer {BufferOf[o.Output]}"));

    private long ColumnsOf(GraphOp conv)
    {
        var y = Values[conv.Output];
        return Values[conv.Inputs[0]].C * (long)conv.KernelH * conv.KernelW * y.Plane;
    }

    // A BatchNorm (Epilogue with an affine) joins the Conv/Linear before it when that op has no affine or ReLU yet; a ReLU
    // joins any op that ends in an epilogue (Conv, Linear, Epilogue, Add). Either only when the producer's output has no
    // other reader, so no value another op needs is changed. The order inside the epilogue is the CPU's: bias, BatchNorm, ReLU.
    private static List<GraphOp> Fuse(IReadOnlyList<GraphOp> ops, int output)
    {
        var readers = new Dictionary<int, int>();
        foreach (var v in ops.SelectMany(o => o.Inputs).Append(output))
        {
            readers[v] = readers.GetValueOrDefault(v) + 1;
        }

        var fused = new List<GraphOp>();
        var producer = new Dictionary<int, int>();
        foreach (var op in ops)
        {
            if (op.Kind == GraphOpKind.Epilogue && op.Bias is null && readers[op.Inputs[0]] == 1 && producer.TryGetValue(op.Inputs[0], out var p))
            {
                var prev = fused[p];
                var bn = op.Affine is not null && !op.Relu && prev.Kind is GraphOpKind.Conv or GraphOpKind.Linear && prev.Affine is null && !prev.Relu;
                var relu = op.Affine is null && op.Relu && prev.Kind is GraphOpKind.Conv or GraphOpKind.Linear or GraphOpKind.Epilogue or GraphOpKind.Add && !prev.Relu;
                if (bn || relu)
                {
                    fused[p] = prev with { Affine = prev.Affine ?? op.Affine, Relu = prev.Relu || op.Relu, Output = op.Output, Where = $"{prev.Where} + {op.Where}" };
                    producer.Remove(op.Inputs[0]);
                    producer[op.Output] = p;
                    continue;
                }
            }

            if (op.Kind == GraphOpKind.MaxPool && op.KernelH == 2 && op.Geometry.StrideH == 2 && readers[op.Inputs[0]] == 1
                && producer.TryGetValue(op.Inputs[0], out var c) && fused[c] is { Kind: GraphOpKind.Conv, Pool: 1 } conv && Direct(conv) && NonDecreasing(conv))
            {
                fused[c] = conv with { Pool = 2, Output = op.Output, Where = $"{conv.Where} + {op.Where}" };
                producer.Remove(op.Inputs[0]);
                producer[op.Output] = c;
                continue;
            }

            producer[op.Output] = fused.Count;
            fused.Add(op);
        }

        return fused;
    }

    // Max-pooling the raw sums before the epilogue gives the same floats as pooling after it when the epilogue is
    // non-decreasing: + bias, − mean, × invStd (> 0), × γ, + β and ReLU each are, rounding included, when γ ≥ 0 for every
    // channel (γ < 0 would turn the max into a min). The CPU's order is the ONNX graph's: epilogue, then pool.
    private static bool NonDecreasing(GraphOp conv) =>
        conv.Affine is null || conv.Affine.Packed.AsSpan(2 * conv.Affine.Channels, conv.Affine.Channels).ToArray().All(g => g >= 0);

    // Values to buffers by liveness: an elementwise op (Epilogue, Add, Map) may write over an input read for the last time (it reads
    // each element before writing it); any other op gets a buffer none of its inputs uses.
    private static (int[] BufferOf, long[] Sizes) Place(IReadOnlyList<GraphOp> ops, IReadOnlyList<GraphValue> values, int output, bool broadcast)
    {
        var lastRead = new int[values.Count];
        Array.Fill(lastRead, -1);
        for (var i = 0; i < ops.Count; i++)
        {
            foreach (var v in ops[i].Inputs)
            {
                lastRead[v] = i;
            }
        }

        lastRead[output] = int.MaxValue;
        var bufferOf = new int[values.Count];
        Array.Fill(bufferOf, -1);
        var sizes = new List<long>();
        var free = new List<int>();

        void Take(int value)
        {
            var need = values[value].PerImage;
            var pick = free.Where(b => sizes[b] >= need).OrderBy(b => sizes[b]).Cast<int?>().FirstOrDefault()
                       ?? free.OrderByDescending(b => sizes[b]).Cast<int?>().FirstOrDefault();
            if (pick is { } b)
            {
                free.Remove(b);
                sizes[b] = Math.Max(sizes[b], need);
            }
            else
            {
                sizes.Add(need);
                b = sizes.Count - 1;
            }

            bufferOf[value] = b;
        }

        void Release(GraphOp op, int index)
        {
            foreach (var v in op.Inputs.Distinct())
            {
                if (lastRead[v] == index && bufferOf[v] >= 0 && !free.Contains(bufferOf[v]))
                {
                    free.Add(bufferOf[v]);
                }
            }
        }

        if (broadcast)
        {
            Take(0);
        }

        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (bufferOf[op.Output] >= 0)
            {
                continue;
            }

            var elementwise = op.Kind is GraphOpKind.Epilogue or GraphOpKind.Add or GraphOpKind.Map;
            if (elementwise)
            {
                Release(op, i);
                Take(op.Output);
            }
            else
            {
                Take(op.Output);
                Release(op, i);
            }
        }

        return (bufferOf, [.. sizes]);
    }
}

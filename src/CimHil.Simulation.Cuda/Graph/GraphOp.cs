using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Cuda.Graph;

/// <summary>One step of a <see cref="GraphPlan"/>: reads values <see cref="Inputs"/>, writes value <see cref="Output"/>.</summary>
public sealed record GraphOp
{
    /// <summary>What it computes.</summary>
    public required GraphOpKind Kind { get; init; }

    /// <summary>Input value ids (0 is the network input).</summary>
    public required IReadOnlyList<int> Inputs { get; init; }

    /// <summary>Output value id.</summary>
    public required int Output { get; init; }

    /// <summary>The module or ONNX node it came from, for messages and the profile.</summary>
    public required string Where { get; init; }

    /// <summary>Index into the mapped network's layers (Conv, Linear), else −1.</summary>
    public int WeightIndex { get; init; } = -1;

    /// <summary>Kernel height (Conv) or pooling window (MaxPool, AvgPool).</summary>
    public int KernelH { get; init; }

    /// <summary>Kernel width (Conv) or pooling window (MaxPool, AvgPool).</summary>
    public int KernelW { get; init; }

    /// <summary>Convolution geometry (Conv), or the pooling stride in StrideH (MaxPool, AvgPool).</summary>
    public ConvolutionGeometry Geometry { get; init; } = new();

    /// <summary>Digital bias added after the product (Conv, Linear, Epilogue).</summary>
    public float[]? Bias { get; init; }

    /// <summary>Inference BatchNorm applied after the bias (fused into its convolution's epilogue when it alone consumes it).</summary>
    public ChannelAffine? Affine { get; init; }

    /// <summary>
    /// 2 when a following 2×2/2 max-pool is fused into a direct convolution (pooled before its epilogue: exact when the
    /// epilogue is non-decreasing, see GraphPlan); 1 otherwise.
    /// </summary>
    public int Pool { get; init; } = 1;

    /// <summary>ReLU at the end (fused from the following Relu node or a residual block).</summary>
    public bool Relu { get; init; }

    /// <summary>The operation of an Add op on two values: Add, Subtract or Multiply (ONNX Add/Sub/Mul of two tensors).</summary>
    public ElementwiseOp Arithmetic { get; init; } = ElementwiseOp.Add;

    /// <summary>The function of a Map op.</summary>
    public ElementwiseMap? Map { get; init; }

    /// <summary>
    /// Gather: for each element of one output image (row-major over its shape), the row-major index of the input element it
    /// copies, or −1 for a zero (padding). Found by running the CPU module on one image of 1, 2, 3, …, so it is the CPU's
    /// data movement exactly.
    /// </summary>
    public int[]? Sources { get; init; }

    /// <summary>
    /// Scatter: for each element of each input image in turn (row-major over the input's shape, the inputs one after
    /// another), the row-major index of the output element it becomes. Probed from the CPU's Concat as <see cref="Sources"/>.
    /// </summary>
    public int[]? Destinations { get; init; }

    /// <summary>What the op does, for the plan's description.</summary>
    public string Describe()
    {
        var extra = (Arithmetic == ElementwiseOp.Add ? "" : $" {Arithmetic}") + (Map is null ? "" : $" {Map.Describe()}") + (Bias is null ? "" : " +bias") + (Affine is null ? "" : " +bn") + (Relu ? " +relu" : "") + (Pool > 1 ? $" +maxpool{Pool}" : "");
        return $"{Kind}({string.Join(", ", Inputs.Select(i => $"v{i}"))}) → v{Output}{extra}  [{Where}]";
    }
}

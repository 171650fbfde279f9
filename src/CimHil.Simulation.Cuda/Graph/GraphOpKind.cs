namespace CimHil.Simulation.Cuda.Graph;

/// <summary>What a <see cref="GraphOp"/> computes on the GPU.</summary>
public enum GraphOpKind
{
    /// <summary>Convolution (any stride, padding, dilation, groups): im2col + one strided-batched GEMM per group, then the epilogue.</summary>
    Conv,

    /// <summary>Fully connected layer on a flat value: one strided-batched GEMM, then the epilogue.</summary>
    Linear,

    /// <summary>Per-channel epilogue alone (a BatchNorm or ReLU that could not be fused into its producer).</summary>
    Epilogue,

    /// <summary>Elementwise sum (or difference, product: <see cref="GraphOp.Arithmetic"/>) of two values (residual connection), optionally followed by ReLU.</summary>
    Add,

    /// <summary>A unary elementwise function (<see cref="GraphOp.Map"/>): an activation or arithmetic with a constant.</summary>
    Map,

    /// <summary>Each output element copied from one input element or zero (<see cref="GraphOp.Sources"/>): Transpose, Reshape, Pad.</summary>
    Gather,

    /// <summary>Max pooling, no padding.</summary>
    MaxPool,

    /// <summary>Average pooling, no padding.</summary>
    AvgPool,

    /// <summary>Mean over each channel's plane.</summary>
    GlobalAvgPool,

    /// <summary>[C][n][H·W] → [C·H·W][n].</summary>
    Flatten,

    /// <summary>Concatenation on the channel axis.</summary>
    Concat,

    /// <summary>
    /// Concatenation on another axis (height, width, a feature axis): each input's elements written where the CPU's Concat puts
    /// them, by one per-image destination table per input (<see cref="GatherTable.Scatter"/>).
    /// </summary>
    Scatter,
}

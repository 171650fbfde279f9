namespace CimHil.Simulation.Onnx;

/// <summary>How an ONNX graph becomes an engine network.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>Defaults: BatchNorm stays digital (not folded), as in the built-in networks.</summary>
    public static OnnxImportOptions Default { get; } = new();

    /// <summary>
    /// Folds every BatchNormalization that alone consumes a Conv's output into that Conv's weights and bias
    /// (W' = W·s, b' = b·s + t; Jacob et al., CVPR 2018, §3.2), so the crossbar stores the folded weights as a chip
    /// would. Off by default: the built-in networks keep BatchNorm digital, and the folded weights change what device
    /// variation sees.
    /// </summary>
    public bool FoldBatchNorm { get; init; }
}

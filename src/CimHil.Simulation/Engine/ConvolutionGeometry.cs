namespace CimHil.Simulation.Engine;

/// <summary>Strides, dilations, asymmetric zero padding and groups of a general 2-D convolution (ONNX Conv attributes).</summary>
public sealed record ConvolutionGeometry
{
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; init; } = 1;

    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; init; } = 1;

    /// <summary>Vertical dilation.</summary>
    public int DilationH { get; init; } = 1;

    /// <summary>Horizontal dilation.</summary>
    public int DilationW { get; init; } = 1;

    /// <summary>Zero rows above.</summary>
    public int PadTop { get; init; }

    /// <summary>Zero columns on the left.</summary>
    public int PadLeft { get; init; }

    /// <summary>Zero rows below.</summary>
    public int PadBottom { get; init; }

    /// <summary>Zero columns on the right.</summary>
    public int PadRight { get; init; }

    /// <summary>Channel groups (1: dense; the input channel count: depthwise).</summary>
    public int Groups { get; init; } = 1;

    /// <summary>True when the built-in <c>Conv2d</c> layer (square stride, symmetric padding, no dilation or groups) computes it.</summary>
    public bool IsPlain(int kernelH, int kernelW) =>
        Groups == 1 && DilationH == 1 && DilationW == 1 && StrideH == StrideW && kernelH == kernelW
        && PadTop == PadLeft && PadTop == PadBottom && PadTop == PadRight;

    /// <inheritdoc />
    public override string ToString() =>
        $"stride {StrideH}×{StrideW}, dilation {DilationH}×{DilationW}, pads [{PadTop}, {PadLeft}, {PadBottom}, {PadRight}], groups {Groups}";
}

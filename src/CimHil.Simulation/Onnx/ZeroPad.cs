using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>Zero padding of the H and W axes of [N, C, H, W] (ONNX Pad, mode constant, value 0).</summary>
public sealed class ZeroPad(ConvolutionGeometry pads) : Module
{
    /// <summary>The padding (PadTop/PadLeft/PadBottom/PadRight; the other fields are unused).</summary>
    public ConvolutionGeometry Pads { get; } = pads;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Ops.ZeroPad2d(input, Pads.PadTop, Pads.PadLeft, Pads.PadBottom, Pads.PadRight);

    /// <inheritdoc />
    public override string Describe() => $"ZeroPad([{Pads.PadTop}, {Pads.PadLeft}, {Pads.PadBottom}, {Pads.PadRight}])";
}

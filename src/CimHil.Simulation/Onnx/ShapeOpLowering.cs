using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Lowers the operators that move or pad data without arithmetic: Pad, Flatten, Reshape, Transpose and Concat. Shapes
/// must be constants and the batch axis (0) must stay where it is; dynamic shape arithmetic is refused with a hint.
/// </summary>
internal static class ShapeOpLowering
{
    public static void AddPad(OnnxLowering lowering, OnnxNode node)
    {
        // PyTorch (opset ≥ 11) writes Pad before AveragePool and for F.pad; only zero padding of H and W is supported.
        var mode = node.StringAttr("mode", "constant");
        if (mode != "constant")
        {
            throw lowering.Fail(node, $"mode '{mode}' is not supported (only constant zero padding).");
        }

        if (node.Inputs.Count < 2 || !lowering.Constants.TryGetValue(node.Inputs[1], out var p) || p.Integers is not { Length: 8 } pads)
        {
            throw lowering.Fail(node, "pads must be a constant int64 tensor of 8 values (a 4-D NCHW input).");
        }

        if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0
            && (!lowering.Constants.TryGetValue(node.Inputs[2], out var v) || lowering.FloatValues(node, v).Any(f => f != 0)))
        {
            throw lowering.Fail(node, "only a zero padding value is supported.");
        }

        if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(x => x < 0))
        {
            throw lowering.Fail(node, $"pads [{string.Join(", ", pads)}] pad the batch or channel axis or crop; only non-negative H/W padding is supported.");
        }

        if (pads.All(x => x == 0))
        {
            lowering.Aliases[node.Outputs[0]] = lowering.Runtime(node, 0);
            return;
        }

        var geometry = new ConvolutionGeometry { PadTop = (int)pads[2], PadLeft = (int)pads[3], PadBottom = (int)pads[6], PadRight = (int)pads[7] };
        lowering.Add(node, new ZeroPad(geometry), lowering.Runtime(node, 0));
    }

    public static void AddFlatten(OnnxLowering lowering, OnnxNode node)
    {
        if (node.IntAttr("axis", 1) != 1)
        {
            throw lowering.Fail(node, $"axis {node.IntAttr("axis", 1)} is not supported (only axis 1: [N, …] → [N, rest]).");
        }

        lowering.Add(node, new Flatten(), lowering.Runtime(node, 0));
    }

    public static void AddReshape(OnnxLowering lowering, OnnxNode node)
    {
        if (!lowering.Constants.TryGetValue(node.Inputs[1], out var s) || s.Integers is null)
        {
            throw lowering.Fail(node, $"shape '{node.Inputs[1]}' is computed at run time (a dynamic shape); only a constant int64 shape is supported. Reshape to a constant such as (-1, features) or use torch.flatten(x, 1).");
        }

        if (node.IntAttr("allowzero", 0) != 0)
        {
            throw lowering.Fail(node, "allowzero = 1 is not supported.");
        }

        var shape = s.Integers;
        if (shape.Length == 0 || shape[0] > 0)
        {
            throw lowering.Fail(node, $"target shape [{string.Join(", ", shape)}] fixes the batch size; its first entry must be 0 or -1 (keep the batch dimension).");
        }

        if (shape[0] == -1 && shape.Skip(1).Any(d => d <= 0))
        {
            throw lowering.Fail(node, $"target shape [{string.Join(", ", shape)}] infers the batch dimension but leaves another dimension open.");
        }

        lowering.Add(node, ShapeNode.Reshape(shape), lowering.Runtime(node, 0));
    }

    public static void AddTranspose(OnnxLowering lowering, OnnxNode node)
    {
        if (!node.Attributes.TryGetValue("perm", out var p))
        {
            throw lowering.Fail(node, "no perm attribute (the default reverses all axes, which moves the batch dimension).");
        }

        var perm = p.Ints.Select(v => (int)v).ToArray();
        if (perm.Length == 0 || perm[0] != 0)
        {
            throw lowering.Fail(node, $"perm [{string.Join(", ", perm)}] moves the batch dimension; only permutations keeping axis 0 are supported.");
        }

        lowering.Add(node, ShapeNode.Transpose(perm), lowering.Runtime(node, 0));
    }

    public static void AddConcat(OnnxLowering lowering, OnnxNode node)
    {
        if (node.Inputs.Any(lowering.Constants.ContainsKey))
        {
            throw lowering.Fail(node, "concatenating a constant is not supported (only runtime tensors).");
        }

        lowering.AddMulti(node, new ConcatNode((int)node.IntAttr("axis", 1)), node.Inputs.Select(lowering.Resolve).ToArray());
    }
}

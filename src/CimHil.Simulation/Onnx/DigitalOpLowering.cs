using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Lowers the operators that stay digital and keep the layout of their input: elementwise arithmetic, Clip, pooling,
/// inference Dropout and a final Softmax/LogSoftmax (attribute defaults from the ONNX operator reference).
/// </summary>
internal static class DigitalOpLowering
{
    public static void AddArithmetic(OnnxLowering lowering, OnnxNode node)
    {
        var op = node.OpType switch
        {
            "Add" => ElementwiseOp.Add,
            "Sub" => ElementwiseOp.Subtract,
            "Mul" => ElementwiseOp.Multiply,
            _ => ElementwiseOp.Divide,
        };
        bool aConst = lowering.Constants.ContainsKey(node.Inputs[0]), bConst = lowering.Constants.ContainsKey(node.Inputs[1]);
        if (aConst && bConst)
        {
            throw lowering.Fail(node, "both operands are constants; export with constant folding (do_constant_folding=True).");
        }

        if (!aConst && !bConst)
        {
            if (op == ElementwiseOp.Divide)
            {
                throw lowering.Fail(node, "division of two runtime tensors is not supported (only by constants).");
            }

            lowering.AddMulti(node, new TensorSum(op), [lowering.Resolve(node.Inputs[0]), lowering.Resolve(node.Inputs[1])]);
            return;
        }

        var c = lowering.Constants[node.Inputs[aConst ? 0 : 1]];
        var values = lowering.FloatValues(node, c);
        lowering.Add(node, new ConstantArithmetic(op, values, c.Dims.Select(d => (int)d).ToArray(), aConst), lowering.Resolve(node.Inputs[aConst ? 1 : 0]));
    }

    public static void AddClip(OnnxLowering lowering, OnnxNode node)
    {
        float Bound(int index, float fallback)
        {
            if (node.Inputs.Count <= index || node.Inputs[index].Length == 0)
            {
                return fallback;
            }

            if (!lowering.Constants.TryGetValue(node.Inputs[index], out var t))
            {
                throw lowering.Fail(node, $"bound '{node.Inputs[index]}' is not a constant; only constant min/max are supported.");
            }

            return lowering.FloatValues(node, t) is [var v] ? v : throw lowering.Fail(node, $"bound '{node.Inputs[index]}' is not a scalar.");
        }

        lowering.Add(node, Activation.Clip(Bound(1, float.NegativeInfinity), Bound(2, float.PositiveInfinity)), lowering.Runtime(node, 0));
    }

    public static void AddPool(OnnxLowering lowering, OnnxNode node)
    {
        var kernel = node.IntsAttr("kernel_shape", []);
        var strides = node.IntsAttr("strides", [1, 1]);
        var pads = node.IntsAttr("pads", [0, 0, 0, 0]);
        var dilations = node.IntsAttr("dilations", [1, 1]);
        var autoPad = node.StringAttr("auto_pad", "NOTSET");
        string? missing = null;
        if (kernel.Length != 2 || kernel[0] != kernel[1])
        {
            missing = $"kernel_shape [{string.Join(", ", kernel)}] (only square 2-D windows)";
        }
        else if (strides.Length != 2 || strides[0] != strides[1])
        {
            missing = $"strides [{string.Join(", ", strides)}] (only equal strides)";
        }
        else if (pads.Any(p => p != 0) || autoPad is not ("NOTSET" or "VALID"))
        {
            missing = $"pads [{string.Join(", ", pads)}] / auto_pad {autoPad} (only unpadded pooling)";
        }
        else if (dilations.Any(d => d != 1))
        {
            missing = $"dilations [{string.Join(", ", dilations)}] (only 1)";
        }
        else if (node.IntAttr("ceil_mode", 0) != 0)
        {
            missing = "ceil_mode = 1 (only floor)";
        }
        else if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && lowering.Consumers.ContainsKey(node.Outputs[1]))
        {
            missing = "the Indices output (not computed)";
        }

        if (missing is not null)
        {
            throw lowering.Fail(node, $"{missing} is not supported.");
        }

        Module pool = node.OpType == "MaxPool" ? new MaxPool2d((int)kernel[0], (int)strides[0]) : new AvgPool2d((int)kernel[0], (int)strides[0]);
        lowering.Add(node, pool, lowering.Runtime(node, 0));
    }

    public static void AddDropout(OnnxLowering lowering, OnnxNode node)
    {
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && lowering.Consumers.ContainsKey(node.Outputs[1]))
        {
            throw lowering.Fail(node, "its mask output is used; only inference Dropout (identity) is supported.");
        }

        lowering.Aliases[node.Outputs[0]] = lowering.Runtime(node, 0);
    }

    public static void AddOutputSoftmax(OnnxLowering lowering, OnnxNode node)
    {
        if (lowering.Model.Outputs[0].Name != node.Outputs[0])
        {
            throw lowering.Fail(node, "Softmax/LogSoftmax is supported only as the last node (the graph output); the engine works on logits.");
        }

        lowering.OutputActivation = node.OpType;
        lowering.Aliases[node.Outputs[0]] = lowering.Runtime(node, 0);
    }
}

using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Lowers the weighted operators (Conv, Gemm, MatMul with constant weights) to the layers the CiM mapping places on
/// crossbars: the built-in <see cref="Conv2d"/>/<see cref="Linear"/> where they fit, else <see cref="GeneralConv2d"/>.
/// Weight layouts follow the ONNX operator reference (Conv weight [O, C/groups, kh, kw]; Gemm Y = alpha·A·B' + beta·C).
/// </summary>
internal static class WeightedLayerLowering
{
    public static void AddConv(OnnxLowering lowering, OnnxNode node)
    {
        var x = lowering.Runtime(node, 0);
        var w = lowering.Constant(node, 1, "weight");
        if (w.Dims.Length != 4)
        {
            throw lowering.Fail(node, $"weight '{w.Name}' has shape [{string.Join(", ", w.Dims)}]; only 2-D convolutions (weight [O, C/groups, kh, kw]) are supported.");
        }

        var shape = w.Dims.Select(d => (int)d).ToArray();
        var autoPad = node.StringAttr("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID"))
        {
            throw lowering.Fail(node, $"auto_pad '{autoPad}' is not supported (give explicit pads).");
        }

        var kernel = node.IntsAttr("kernel_shape", [shape[2], shape[3]]);
        if (kernel.Length != 2 || kernel[0] != shape[2] || kernel[1] != shape[3])
        {
            throw lowering.Fail(node, $"kernel_shape [{string.Join(", ", kernel)}] does not match the weight's [{shape[2]}, {shape[3]}].");
        }

        var strides = node.IntsAttr("strides", [1, 1]);
        var dilations = node.IntsAttr("dilations", [1, 1]);
        var pads = autoPad == "VALID" ? [0, 0, 0, 0] : node.IntsAttr("pads", [0, 0, 0, 0]);
        if (strides.Length != 2 || dilations.Length != 2 || pads.Length != 4)
        {
            throw lowering.Fail(node, "strides/dilations/pads must have 2/2/4 values for a 2-D convolution.");
        }

        var geometry = new ConvolutionGeometry
        {
            StrideH = (int)strides[0], StrideW = (int)strides[1], DilationH = (int)dilations[0], DilationW = (int)dilations[1],
            PadTop = (int)pads[0], PadLeft = (int)pads[1], PadBottom = (int)pads[2], PadRight = (int)pads[3],
            Groups = (int)node.IntAttr("group", 1),
        };
        var weight = (float[])lowering.FloatValues(node, w).Clone();
        float[]? bias = null;
        if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
        {
            var b = lowering.Constant(node, 2, "bias");
            bias = (float[])lowering.FloatValues(node, b).Clone();
            if (bias.Length != shape[0])
            {
                throw lowering.Fail(node, $"bias '{b.Name}' has {bias.Length} values for {shape[0]} output channels.");
            }
        }

        var output = node.Outputs[0];
        var bn = lowering.FoldedBatchNorms.FirstOrDefault(n => n.Inputs[0] == output);
        if (bn is not null)
        {
            (weight, bias) = BatchNormLowering.Fold(lowering, bn, weight, bias, shape);
            lowering.FoldedInto[node] = bn;
            lowering.Aliases[bn.Outputs[0]] = output;
        }

        Module layer = geometry.IsPlain(shape[2], shape[3])
            ? new Conv2d(shape[1], shape[0], shape[2], weight, bias ?? [], geometry.StrideH, geometry.PadTop)
            : new GeneralConv2d(weight, shape, bias, geometry);
        lowering.Add(node, layer, x, OnnxLowering.LayerName(w.Name, node));
    }

    public static void AddGemm(OnnxLowering lowering, OnnxNode node)
    {
        var x = lowering.Runtime(node, 0);
        var b = lowering.Constant(node, 1, "B (weight)");
        if (node.IntAttr("transA", 0) != 0)
        {
            throw lowering.Fail(node, "transA = 1 is not supported (the batch must be the rows of A).");
        }

        if (b.Dims.Length != 2)
        {
            throw lowering.Fail(node, $"B '{b.Name}' has shape [{string.Join(", ", b.Dims)}]; a 2-D weight is needed.");
        }

        var transB = node.IntAttr("transB", 0) != 0;
        int rows = (int)b.Dims[0], cols = (int)b.Dims[1];
        int outF = transB ? rows : cols, inF = transB ? cols : rows;
        var values = lowering.FloatValues(node, b);
        var alpha = node.FloatAttr("alpha", 1f);
        var beta = node.FloatAttr("beta", 1f);
        var weight = new float[outF * inF];
        for (var o = 0; o < outF; o++)
        {
            for (var i = 0; i < inF; i++)
            {
                weight[(o * inF) + i] = alpha * (transB ? values[(o * inF) + i] : values[(i * outF) + o]);
            }
        }

        float[]? bias = null;
        if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
        {
            var c = lowering.Constant(node, 2, "C (bias)");
            var cv = lowering.FloatValues(node, c);
            if (cv.Length != outF && cv.Length != 1)
            {
                throw lowering.Fail(node, $"C '{c.Name}' has shape [{string.Join(", ", c.Dims)}]; a bias of {outF} values (or one) is needed.");
            }

            bias = Enumerable.Range(0, outF).Select(o => beta * cv[cv.Length == 1 ? 0 : o]).ToArray();
        }

        lowering.Add(node, MakeLinear(inF, outF, weight, bias), x, OnnxLowering.LayerName(b.Name, node));
    }

    public static void AddMatMul(OnnxLowering lowering, OnnxNode node)
    {
        var x = lowering.Runtime(node, 0);
        if (!lowering.Constants.TryGetValue(node.Inputs[1], out var b))
        {
            throw lowering.Fail(node, $"input '{node.Inputs[1]}' is not an initializer; only MatMul by a constant 2-D weight is supported.");
        }

        if (b.Dims.Length != 2)
        {
            throw lowering.Fail(node, $"weight '{b.Name}' has shape [{string.Join(", ", b.Dims)}]; a 2-D weight [in, out] is needed.");
        }

        int inF = (int)b.Dims[0], outF = (int)b.Dims[1];
        var values = lowering.FloatValues(node, b);
        var weight = new float[outF * inF];
        for (var o = 0; o < outF; o++)
        {
            for (var i = 0; i < inF; i++)
            {
                weight[(o * inF) + i] = values[(i * outF) + o];
            }
        }

        lowering.Add(node, MakeLinear(inF, outF, weight, null), x, OnnxLowering.LayerName(b.Name, node));
    }

    private static Linear MakeLinear(int inF, int outF, float[] weight, float[]? bias)
    {
        // The seeded initialisation is overwritten at once; Linear has no constructor from given values.
        var layer = new Linear(inF, outF, new Random(0), bias is not null);
        weight.CopyTo(layer.Weight.Data, 0);
        bias?.CopyTo(layer.Bias!.Data, 0);
        return layer;
    }
}

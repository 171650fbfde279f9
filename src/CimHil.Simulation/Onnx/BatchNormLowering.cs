using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Lowers BatchNormalization (inference form only): folded into the weights and bias of the Conv that alone feeds it
/// when <see cref="OnnxImportOptions.FoldBatchNorm"/> is set and all its inputs are constant, else a digital
/// <see cref="BatchNorm2d"/>.
/// </summary>
internal static class BatchNormLowering
{
    /// <summary>Marks each BatchNormalization whose input is a Conv output read by nothing else, with constant parameters.</summary>
    public static void MarkFoldable(OnnxLowering lowering)
    {
        foreach (var bn in lowering.Model.Nodes.Where(n => n.OpType == "BatchNormalization"))
        {
            if (lowering.Producers.TryGetValue(bn.Inputs[0], out var conv) && conv.OpType == "Conv" && lowering.Consumers.GetValueOrDefault(bn.Inputs[0]) == 1
                && bn.Inputs.Skip(1).All(lowering.Constants.ContainsKey) && lowering.Constants.ContainsKey(conv.Inputs[1]))
            {
                lowering.FoldedBatchNorms.Add(bn);
            }
        }
    }

    /// <summary>Scales each output channel's weights and bias by the BatchNorm's inference affine map (in place).</summary>
    public static (float[] Weight, float[] Bias) Fold(OnnxLowering lowering, OnnxNode bn, float[] weight, float[]? bias, int[] shape)
    {
        var (scale, shift) = MakeBatchNorm(lowering, bn, shape[0]).InferenceAffine();
        var per = weight.Length / shape[0];
        var b = bias ?? new float[shape[0]];
        for (var o = 0; o < shape[0]; o++)
        {
            for (var k = 0; k < per; k++)
            {
                weight[(o * per) + k] *= scale[o];
            }

            b[o] = (b[o] * scale[o]) + shift[o];
        }

        return (weight, b);
    }

    public static void AddBatchNorm(OnnxLowering lowering, OnnxNode node)
    {
        if (lowering.FoldedBatchNorms.Contains(node))
        {
            return; // Aliased to its convolution's output in WeightedLayerLowering.AddConv.
        }

        var scale = node.Inputs.Count > 1 ? node.Inputs[1] : string.Empty;
        lowering.Add(node, MakeBatchNorm(lowering, node, null), lowering.Runtime(node, 0), OnnxLowering.LayerName(scale, node));
    }

    private static BatchNorm2d MakeBatchNorm(OnnxLowering lowering, OnnxNode node, int? channels)
    {
        if (node.IntAttr("training_mode", 0) != 0)
        {
            throw lowering.Fail(node, "training_mode = 1 is not supported (export the model in eval mode).");
        }

        if (node.Outputs.Skip(1).Any(o => o.Length > 0 && lowering.Consumers.ContainsKey(o)))
        {
            throw lowering.Fail(node, "its running-statistics outputs are used; only inference BatchNormalization is supported.");
        }

        var gamma = lowering.FloatValues(node, lowering.Constant(node, 1, "scale"));
        var beta = lowering.FloatValues(node, lowering.Constant(node, 2, "B"));
        var mean = lowering.FloatValues(node, lowering.Constant(node, 3, "input_mean"));
        var variance = lowering.FloatValues(node, lowering.Constant(node, 4, "input_var"));
        var c = channels ?? gamma.Length;
        if (new[] { gamma.Length, beta.Length, mean.Length, variance.Length }.Any(l => l != c))
        {
            throw lowering.Fail(node, $"scale/B/mean/var have {gamma.Length}/{beta.Length}/{mean.Length}/{variance.Length} values for {c} channels.");
        }

        var layer = new BatchNorm2d(c, epsilon: node.FloatAttr("epsilon", 1e-5f));
        gamma.CopyTo(layer.Gamma.Data, 0);
        beta.CopyTo(layer.Beta.Data, 0);
        mean.CopyTo(layer.RunningMean.Data, 0);
        variance.CopyTo(layer.RunningVar.Data, 0);
        return layer;
    }
}

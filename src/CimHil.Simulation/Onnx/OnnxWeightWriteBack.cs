using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// The inverse of the importer's weight mapping: from an imported network's current parameters back to the values of the
/// source file's initializers (Conv weight/bias as they are; Gemm B = W / alpha in the file's transB layout and C = b / beta;
/// MatMul B = Wᵀ; BatchNormalization scale, B, mean and variance). A BatchNorm folded into its convolution at import is
/// written as the identity (scale 1, B 0, mean 0, var 1 − ε) with the folded weights in the Conv, because the folded
/// weights are what the crossbar holds.
/// </summary>
internal static class OnnxWeightWriteBack
{
    public static OnnxWeightPlan Plan(OnnxModel model, IReadOnlyList<OnnxLayerSource> layers, Network network, string source)
    {
        var modules = network.Modules.ToDictionary(m => m.Path, m => m.Module, StringComparer.Ordinal);
        var producers = model.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).GroupBy(p => p.o).ToDictionary(g => g.Key, g => g.First().n, StringComparer.Ordinal);
        var nodeIndex = model.Nodes.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, (IEqualityComparer<OnnxNode>)ReferenceEqualityComparer.Instance);
        var writes = new List<(OnnxNode Node, int Input, string Initializer, OnnxTensor Tensor, string FreshName)>();

        void Put(OnnxNode node, int input, string what, ReadOnlySpan<float> data, long[]? dims = null)
        {
            var name = InitializerName(node, input, what);
            var original = model.Initializers[name];
            if (original.DataType != 1)
            {
                throw new OnnxFormatException($"{source}: {node.Where}: {what} '{name}' is {OnnxTensor.TypeName(original.DataType)}; only float32 weights can be rewritten.");
            }

            var tensor = new OnnxTensor(name, dims ?? original.Dims, 1, data.ToArray(), null);
            if (tensor.ElementCount != data.Length)
            {
                throw new OnnxFormatException($"{source}: {node.Where}: {what} '{name}' has shape [{string.Join(", ", tensor.Dims)}], the network holds {data.Length} values.");
            }

            // A fresh name, should one be needed, follows the state_dict ("fc1.weight"), so a re-import keeps the layer paths.
            var owner = layers.First(l => ReferenceEquals(l.Node, node) || ReferenceEquals(l.FoldedBatchNorm, node));
            var role = input switch { 1 => "weight", 2 => "bias", 3 => "running_mean", _ => "running_var" };
            writes.Add((node, input, name, tensor, ReferenceEquals(owner.Node, node) ? $"{owner.Path}.{role}" : $"{owner.Path}.bn.{role}"));
        }

        string InitializerName(OnnxNode node, int input, string what)
        {
            var name = node.Inputs[input];
            // PyTorch may route a weight through Identity; follow it back to the initializer it copies.
            while (!model.Initializers.ContainsKey(name) && producers.TryGetValue(name, out var p) && p.OpType == "Identity")
            {
                name = p.Inputs[0];
            }

            return model.Initializers.ContainsKey(name)
                ? name
                : throw new OnnxFormatException($"{source}: {node.Where}: {what} '{node.Inputs[input]}' is not an initializer (a Constant node?); only initializers can be rewritten.");
        }

        static bool Has(OnnxNode node, int input) => node.Inputs.Count > input && node.Inputs[input].Length > 0;

        foreach (var layer in layers)
        {
            var module = modules[layer.Path];
            var node = layer.Node;
            switch (module)
            {
                case IWeightedLayer w when node.OpType == "Conv":
                    Put(node, 1, "weight", w.Weight.Data);
                    if (layer.FoldedBatchNorm is { } bn)
                    {
                        var channels = w.OutputCount;
                        var epsilon = bn.Attributes.TryGetValue("epsilon", out var e) ? e.Float : 1e-5f;
                        var bias = w.Bias?.Data ?? new float[channels];
                        Put(bn, 1, "scale", Filled(channels, 1f));
                        Put(bn, 2, "B", Has(node, 2) ? new float[channels] : bias);
                        Put(bn, 3, "input_mean", new float[channels]);
                        Put(bn, 4, "input_var", Filled(channels, 1f - epsilon));
                        if (Has(node, 2))
                        {
                            Put(node, 2, "bias", bias);
                        }
                    }
                    else if (Has(node, 2))
                    {
                        Put(node, 2, "bias", w.Bias!.Data);
                    }

                    break;
                case Linear linear when node.OpType == "Gemm":
                    WriteGemm(node, linear, Put, Has(node, 2));
                    break;
                case Linear linear when node.OpType == "MatMul":
                    Put(node, 1, "weight", Transposed(linear.Weight.Data, linear.OutFeatures, linear.InFeatures));
                    break;
                case BatchNorm2d b when node.OpType == "BatchNormalization":
                    Put(node, 1, "scale", b.Gamma.Data);
                    Put(node, 2, "B", b.Beta.Data);
                    Put(node, 3, "input_mean", b.RunningMean.Data);
                    Put(node, 4, "input_var", b.RunningVar.Data);
                    break;
                default:
                    throw new OnnxFormatException($"{source}: {node.Where}: module '{layer.Path}' ({module.Describe()}) has no known way back into the file.");
            }
        }

        return Resolve(model, writes, nodeIndex);
    }

    private static OnnxWeightPlan Resolve(OnnxModel model, List<(OnnxNode Node, int Input, string Initializer, OnnxTensor Tensor, string FreshName)> writes, Dictionary<OnnxNode, int> nodeIndex)
    {
        // An initializer is rewritten in place when only the written inputs use it and they agree. PyTorch's exporter
        // merges initializers of equal values (e.g. two zero BatchNorm shifts), which training then makes differ: each such
        // input gets an initializer of its own under a fresh name, and the shared original is left as it was.
        var uses = model.Nodes.SelectMany(n => n.Inputs).GroupBy(i => i, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var replace = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var added = new List<OnnxTensor>();
        var renames = new Dictionary<(int Node, int Input), string>();
        var taken = new HashSet<string>(model.Initializers.Keys.Concat(model.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs))).Concat(model.Inputs.Select(i => i.Name)), StringComparer.Ordinal);
        foreach (var group in writes.GroupBy(w => w.Initializer, StringComparer.Ordinal))
        {
            var first = group.First().Tensor;
            var agree = group.All(w => w.Tensor.Floats!.AsSpan().SequenceEqual(first.Floats) && w.Tensor.Dims.SequenceEqual(first.Dims));
            var direct = group.All(w => w.Node.Inputs[w.Input] == group.Key);
            if (agree && direct && uses.GetValueOrDefault(group.Key) == group.Count())
            {
                replace[group.Key] = first;
                continue;
            }

            foreach (var w in group)
            {
                var name = w.FreshName;
                for (var k = 2; !taken.Add(name); k++)
                {
                    name = $"{w.FreshName}_{k}";
                }

                added.Add(w.Tensor with { Name = name });
                renames[(nodeIndex[w.Node], w.Input)] = name;
            }
        }

        return new OnnxWeightPlan(replace, added, renames);
    }

    private delegate void Writer(OnnxNode node, int input, string what, ReadOnlySpan<float> data, long[]? dims = null);

    private static void WriteGemm(OnnxNode node, Linear linear, Writer put, bool hasBias)
    {
        var transB = node.Attributes.TryGetValue("transB", out var t) && t.Int != 0;
        var alpha = node.Attributes.TryGetValue("alpha", out var a) ? a.Float : 1f;
        var beta = node.Attributes.TryGetValue("beta", out var b) ? b.Float : 1f;
        int outF = linear.OutFeatures, inF = linear.InFeatures;
        var w = linear.Weight.Data;
        var values = transB ? (float[])w.Clone() : Transposed(w, outF, inF);
        for (var k = 0; k < values.Length; k++)
        {
            values[k] /= alpha; // The importer folded alpha into W; dividing by 1 is exact, so the usual file round-trips bit for bit.
        }

        put(node, 1, "B (weight)", values);
        if (hasBias)
        {
            if (beta == 0)
            {
                throw new OnnxFormatException($"{node.Where}: beta = 0 ignores C, so the network's bias cannot be written back.");
            }

            // C may have been a scalar broadcast to every output; it is written per output ([out]) since training changes each.
            var bias = linear.Bias!.Data.Select(v => v / beta).ToArray();
            put(node, 2, "C (bias)", bias, [outF]);
        }
    }

    private static float[] Transposed(float[] matrix, int rows, int cols)
    {
        var t = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = matrix[(r * cols) + c];
            }
        }

        return t;
    }

    private static float[] Filled(int count, float value)
    {
        var v = new float[count];
        Array.Fill(v, value);
        return v;
    }
}

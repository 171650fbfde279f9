using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Emits a built-in network (a tree of <see cref="Sequential"/>, <see cref="ResidualBlock"/> and the standard layers) as an
/// ONNX graph of Conv, Gemm, BatchNormalization, Relu, MaxPool, AveragePool, GlobalAveragePool, Flatten and Add (opset 13).
/// Initializers are named by the state_dict keys ("conv1.weight"), so the file imports back to the same layer paths.
/// </summary>
public static class OnnxGraphEmitter
{
    /// <summary>Opset of the emitted graphs: every operator used has had its current definition since opset 13 or earlier.</summary>
    public const int Opset = 13;

    // AttributeProto.AttributeType codes (onnx.proto).
    private const int AttributeFloat = 1;
    private const int AttributeInt = 2;
    private const int AttributeInts = 7;

    /// <summary>The ModelProto bytes of <paramref name="network"/> with its current weights.</summary>
    public static byte[] Emit(Network network, string docString)
    {
        ArgumentNullException.ThrowIfNull(network);
        var graph = new GraphBuilder(network);
        var output = graph.Add(network.Body, string.Empty, "input");
        graph.Node("Identity", "output", [output], "logits");

        // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
        var g = new ProtoOutput();
        foreach (var n in graph.Nodes)
        {
            g.Message(1, n);
        }

        g.String(2, network.Architecture);
        foreach (var (path, t) in network.NamedParameters().Concat(network.NamedBuffers()))
        {
            g.Message(5, OnnxWriter.Tensor(path, t.Shape.Select(d => (long)d).ToArray(), t.Data));
        }

        g.Message(11, ValueInfo("input", [.. network.InputShape]));
        g.Message(12, ValueInfo("logits", [network.ClassCount]));

        // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7, opset_import = 8
        // (OperatorSetIdProto: domain = 1, version = 2). IR version 7 is what opset 13 was released with.
        return new ProtoOutput()
            .Int64(1, 7)
            .String(2, "CimHil")
            .String(3, typeof(OnnxGraphEmitter).Assembly.GetName().Version?.ToString() ?? "0")
            .String(6, docString)
            .Message(7, g)
            .Message(8, new ProtoOutput().String(1, string.Empty).Int64(2, Opset))
            .ToArray();
    }

    private static ProtoOutput ValueInfo(string name, int[] sampleDims)
    {
        // ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → elem_type = 1 (FLOAT), shape = 2 →
        // TensorShapeProto.dim = 1 → Dimension: dim_value = 1, dim_param = 2. The batch dimension is symbolic ("N").
        var shape = new ProtoOutput().Message(1, new ProtoOutput().String(2, "N"));
        foreach (var d in sampleDims)
        {
            shape.Message(1, new ProtoOutput().Int64(1, d));
        }

        var tensorType = new ProtoOutput().Int64(1, 1).Message(2, shape);
        return new ProtoOutput().String(1, name).Message(2, new ProtoOutput().Message(1, tensorType));
    }

    private sealed class GraphBuilder(Network network)
    {
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public List<ProtoOutput> Nodes { get; } = [];

        /// <summary>Emits <paramref name="module"/> at <paramref name="path"/> on value <paramref name="x"/>; returns its output value.</summary>
        public string Add(Module module, string path, string x)
        {
            string P(string local) => path.Length == 0 ? local : $"{path}.{local}";
            switch (module)
            {
                case Sequential s:
                    foreach (var (name, m) in s.Layers)
                    {
                        x = Add(m, P(name), x);
                    }

                    return x;
                case ResidualBlock r:
                    var main = Add(r.Main, path, x);
                    var shortcut = r.Shortcut is null ? x : Add(r.Shortcut, P("shortcut"), x);
                    var sum = Node("Add", P("add"), [main, shortcut]);
                    return Node("Relu", P("relu"), [sum]);
                case Conv2d c:
                    return Node("Conv", path, WeightInputs(path, x, c.Bias is not null), Ints("kernel_shape", c.Kernel, c.Kernel),
                        Ints("strides", c.Stride, c.Stride), Ints("pads", c.Padding, c.Padding, c.Padding, c.Padding), Ints("dilations", 1, 1), Int("group", 1));
                case GeneralConv2d g:
                    var geo = g.Geometry;
                    return Node("Conv", path, WeightInputs(path, x, g.Bias is not null), Ints("kernel_shape", g.Weight.Dim(2), g.Weight.Dim(3)),
                        Ints("strides", geo.StrideH, geo.StrideW), Ints("pads", geo.PadTop, geo.PadLeft, geo.PadBottom, geo.PadRight),
                        Ints("dilations", geo.DilationH, geo.DilationW), Int("group", geo.Groups));
                case Linear l:
                    return Node("Gemm", path, WeightInputs(path, x, l.Bias is not null), Int("transB", 1));
                case BatchNorm2d b:
                    return Node("BatchNormalization", path, [x, $"{path}.weight", $"{path}.bias", $"{path}.running_mean", $"{path}.running_var"], Float("epsilon", b.Epsilon));
                case Relu:
                    return Node("Relu", path, [x]);
                case MaxPool2d m:
                    return Node("MaxPool", path, [x], Ints("kernel_shape", m.Kernel, m.Kernel), Ints("strides", m.Stride, m.Stride));
                case AvgPool2d { Kernel: 0 }:
                    return Node("GlobalAveragePool", path, [x]);
                case AvgPool2d a:
                    var stride = a.Stride == 0 ? a.Kernel : a.Stride;
                    return Node("AveragePool", path, [x], Ints("kernel_shape", a.Kernel, a.Kernel), Ints("strides", stride, stride));
                case Flatten:
                    return Node("Flatten", path, [x], Int("axis", 1));
                case Identity:
                    return x;
                default:
                    throw new NotSupportedException($"Network '{network.Architecture}': module '{path}' ({module.Describe()}) has no ONNX export (supported: Conv2d, Linear, BatchNorm2d, ReLU, pooling, Flatten, Sequential, ResidualBlock).");
            }
        }

        public string Node(string op, string name, string[] inputs, params ProtoOutput[] attributes)
        {
            var unique = name;
            for (var k = 2; !_names.Add(unique); k++)
            {
                unique = $"{name}_{k}";
            }

            Node(op, unique, inputs, unique, attributes);
            return unique;
        }

        public void Node(string op, string name, string[] inputs, string output, params ProtoOutput[] attributes)
        {
            // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
            var node = new ProtoOutput();
            foreach (var i in inputs)
            {
                node.String(1, i);
            }

            node.String(2, output).String(3, name).String(4, op);
            foreach (var a in attributes)
            {
                node.Message(5, a);
            }

            Nodes.Add(node);
        }

        private static string[] WeightInputs(string path, string x, bool bias) =>
            bias ? [x, $"{path}.weight", $"{path}.bias"] : [x, $"{path}.weight"];

        // AttributeProto: name = 1, f = 2, i = 3, ints = 8, type = 20.
        private static ProtoOutput Ints(string name, params int[] values) =>
            new ProtoOutput().String(1, name).PackedInt64s(8, values.Select(v => (long)v)).Int64(20, AttributeInts);

        private static ProtoOutput Int(string name, long value) => new ProtoOutput().String(1, name).Int64(3, value).Int64(20, AttributeInt);

        private static ProtoOutput Float(string name, float value) => new ProtoOutput().String(1, name).Float(2, value).Int64(20, AttributeFloat);
    }
}

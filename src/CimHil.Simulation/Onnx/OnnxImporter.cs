using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Turns an ONNX graph (opsets 11–17) into an engine <see cref="Network"/>. Conv, Gemm and MatMul with weight initializers
/// become weighted layers (built-in <see cref="Conv2d"/>/<see cref="Linear"/> where they fit, else <see cref="GeneralConv2d"/>),
/// which the CiM mapping places on crossbars; biases, BatchNorm, pooling, activations and arithmetic stay digital.
/// A graph that is a plain chain becomes a <see cref="Sequential"/> (so the Monte-Carlo fast path runs it exactly like a
/// built-in network); any other DAG becomes an <see cref="OnnxGraph"/>. Anything unsupported is refused with the node's
/// name, its operator and what is missing.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Lowest supported opset of the default domain.</summary>
    public const int MinOpset = 11;

    /// <summary>Highest supported opset of the default domain.</summary>
    public const int MaxOpset = 17;

    /// <summary>Operators the importer maps.</summary>
    public static IReadOnlyList<string> Operators { get; } =
    [
        "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "MaxPool",
        "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Identity",
        "Dropout", "Softmax", "LogSoftmax", "Constant", "Pad",
    ];

    /// <summary>Reads and imports an .onnx file.</summary>
    public static async Task<OnnxImport> LoadAsync(string path, OnnxImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var model = await OnnxReader.LoadAsync(path, cancellationToken).ConfigureAwait(false);
        return Import(model, options, path);
    }

    /// <summary>Imports a parsed model; <paramref name="source"/> names the file in errors.</summary>
    public static OnnxImport Import(OnnxModel model, OnnxImportOptions? options = null, string source = "<onnx>")
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Builder(model, options ?? OnnxImportOptions.Default, source).Build();
    }

    /// <summary>True for an .onnx path (the CLI's test for "import rather than load a checkpoint").</summary>
    public static bool IsOnnxPath(string? path) => path is not null && path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    private sealed class Builder(OnnxModel model, OnnxImportOptions options, string source)
    {
        private readonly Dictionary<string, OnnxTensor> _constants = new(model.Initializers, StringComparer.Ordinal);
        private readonly Dictionary<string, string> _alias = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        private readonly HashSet<OnnxNode> _foldedBn = new(ReferenceEqualityComparer.Instance);
        private readonly List<OnnxStep> _steps = [];
        private readonly List<OnnxLayerSource> _layers = [];
        private readonly Dictionary<OnnxNode, OnnxNode> _foldedInto = new(ReferenceEqualityComparer.Instance);
        private string? _outputActivation;

        public OnnxImport Build()
        {
            if (model.Opset is < MinOpset or > MaxOpset)
            {
                throw Fail($"opset {model.Opset} is not supported (supported: {MinOpset}–{MaxOpset}); export with opset_version between them.");
            }

            var inputs = model.Inputs.Where(i => !model.Initializers.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1)
            {
                throw Fail($"the graph has {inputs.Count} runtime inputs ({string.Join(", ", inputs.Select(i => i.Name))}); exactly one (the image or feature batch) is supported.");
            }

            if (model.Outputs.Count != 1)
            {
                throw Fail($"the graph has {model.Outputs.Count} outputs ({string.Join(", ", model.Outputs.Select(o => o.Name))}); exactly one (the logits) is supported.");
            }

            var input = inputs[0];
            if (input.ElementType != 1)
            {
                throw Fail($"input '{input.Name}' is {OnnxTensor.TypeName(input.ElementType)}; only float32 inputs are supported.");
            }

            if (input.Dims.Length is < 2 or > 4)
            {
                throw Fail($"input '{input.Name}' has rank {input.Dims.Length}; an NC or NCHW input ([N, features] or [N, C, H, W]) is needed.");
            }

            for (var d = 1; d < input.Dims.Length; d++)
            {
                if (input.Dims[d] is not { } v || v < 1)
                {
                    throw Fail($"input '{input.Name}' dimension {d} is dynamic ('{input.DimNames[d]}'); only the batch dimension (0) may be dynamic. Export with a fixed sample shape.");
                }
            }

            var sampleShape = input.Dims.Skip(1).Select(d => (int)d!.Value).ToArray();
            foreach (var n in model.Nodes)
            {
                foreach (var i in n.Inputs.Where(i => i.Length > 0))
                {
                    _consumers[i] = _consumers.GetValueOrDefault(i) + 1;
                }
            }

            var output = model.Outputs[0].Name;
            _consumers[output] = _consumers.GetValueOrDefault(output) + 1;
            // Constants first (Constant nodes, Identity of an initializer), so folding sees every constant BatchNorm input.
            foreach (var n in model.Nodes)
            {
                if (n.OpType == "Constant")
                {
                    AddConstant(n);
                }
                else if (n.OpType == "Identity" && n.Inputs.Count == 1 && _constants.TryGetValue(n.Inputs[0], out var c))
                {
                    _constants[n.Outputs[0]] = c;
                }
            }

            if (options.FoldBatchNorm)
            {
                MarkFoldableBatchNorms();
            }

            var producers = model.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).GroupBy(p => p.o).ToDictionary(g => g.Key, g => g.First().n, StringComparer.Ordinal);
            foreach (var node in model.Nodes)
            {
                AddNode(node, producers);
            }

            var finalOutput = Resolve(output);
            var graph = new OnnxGraph(input.Name, finalOutput, _steps);
            var classCount = Validate(graph, sampleShape);
            var body = IsChain(input.Name, finalOutput) ? new Sequential([.. _steps.Select(s => (s.Name, s.Module))]) : (Module)graph;
            var network = new Network("onnx", body, sampleShape, classCount);
            return new OnnxImport(network, _outputActivation, model.Opset, model.Producer, _foldedBn.Count) { Layers = _layers };
        }

        private int Validate(OnnxGraph graph, int[] sampleShape)
        {
            // A dry run on two zero samples checks every node's shapes once, at import time, with the node named on error.
            using var _ = Tensor.NoGrad();
            var x = Tensor.Zeros([2, .. sampleShape]);
            var y = graph.Forward(x, ForwardContext.Inference);
            if (y.Rank != 2 || y.Dim(0) != 2)
            {
                throw Fail($"the graph output '{graph.OutputName}' has shape {y.ShapeString()} for 2 samples; a classifier's [N, classes] logits are needed.");
            }

            return y.Dim(1);
        }

        private bool IsChain(string input, string output)
        {
            var previous = input;
            foreach (var s in _steps)
            {
                if (s.Module is GraphNode || s.Inputs.Count != 1 || s.Inputs[0] != previous)
                {
                    return false;
                }

                previous = s.Output;
            }

            return previous == output;
        }

        private void MarkFoldableBatchNorms()
        {
            var producers = model.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
            foreach (var bn in model.Nodes.Where(n => n.OpType == "BatchNormalization"))
            {
                if (producers.TryGetValue(bn.Inputs[0], out var conv) && conv.OpType == "Conv" && _consumers.GetValueOrDefault(bn.Inputs[0]) == 1
                    && bn.Inputs.Skip(1).All(_constants.ContainsKey) && _constants.ContainsKey(conv.Inputs[1]))
                {
                    _foldedBn.Add(bn);
                }
            }
        }

        private void AddNode(OnnxNode node, Dictionary<string, OnnxNode> producers)
        {
            if (node.Domain is not ("" or "ai.onnx"))
            {
                throw Fail(node, $"domain '{node.Domain}' is not supported (only the default ONNX domain).");
            }

            switch (node.OpType)
            {
                case "Constant":
                    AddConstant(node);
                    break;
                case "Identity" when _constants.TryGetValue(node.Inputs[0], out var constant):
                    _constants[node.Outputs[0]] = constant;
                    break;
                case "Identity":
                    _alias[node.Outputs[0]] = Runtime(node, 0);
                    break;
                case "Pad":
                    AddPad(node);
                    break;
                case "Dropout":
                    if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && _consumers.ContainsKey(node.Outputs[1]))
                    {
                        throw Fail(node, "its mask output is used; only inference Dropout (identity) is supported.");
                    }

                    _alias[node.Outputs[0]] = Runtime(node, 0);
                    break;
                case "Softmax":
                case "LogSoftmax":
                    if (model.Outputs[0].Name != node.Outputs[0])
                    {
                        throw Fail(node, "Softmax/LogSoftmax is supported only as the last node (the graph output); the engine works on logits.");
                    }

                    _outputActivation = node.OpType;
                    _alias[node.Outputs[0]] = Runtime(node, 0);
                    break;
                case "Conv":
                    AddConv(node, producers);
                    break;
                case "BatchNormalization":
                    AddBatchNorm(node);
                    break;
                case "Gemm":
                    AddGemm(node);
                    break;
                case "MatMul":
                    AddMatMul(node);
                    break;
                case "Add":
                case "Sub":
                case "Mul":
                case "Div":
                    AddArithmetic(node);
                    break;
                case "Relu":
                    Add(node, new Relu(), Runtime(node, 0));
                    break;
                case "LeakyRelu":
                    Add(node, Activation.LeakyRelu(FloatAttr(node, "alpha", 0.01f)), Runtime(node, 0));
                    break;
                case "Sigmoid":
                    Add(node, Activation.Sigmoid(), Runtime(node, 0));
                    break;
                case "Tanh":
                    Add(node, Activation.Tanh(), Runtime(node, 0));
                    break;
                case "Clip":
                    AddClip(node);
                    break;
                case "MaxPool":
                case "AveragePool":
                    AddPool(node);
                    break;
                case "GlobalAveragePool":
                    Add(node, new GlobalAveragePool(), Runtime(node, 0));
                    break;
                case "Flatten":
                    if (IntAttr(node, "axis", 1) != 1)
                    {
                        throw Fail(node, $"axis {IntAttr(node, "axis", 1)} is not supported (only axis 1: [N, …] → [N, rest]).");
                    }

                    Add(node, new Flatten(), Runtime(node, 0));
                    break;
                case "Reshape":
                    AddReshape(node);
                    break;
                case "Transpose":
                    AddTranspose(node);
                    break;
                case "Concat":
                    if (node.Inputs.Any(_constants.ContainsKey))
                    {
                        throw Fail(node, "concatenating a constant is not supported (only runtime tensors).");
                    }

                    AddMulti(node, new ConcatNode((int)IntAttr(node, "axis", 1)), node.Inputs.Select(Resolve).ToArray());
                    break;
                default:
                    var hint = node.OpType is "Shape" or "Gather" or "Unsqueeze" or "Squeeze" or "Cast" or "ConstantOfShape" or "Expand"
                        ? " Shape arithmetic (dynamic shapes) is not supported: flatten with torch.flatten(x, 1) or reshape to a constant shape such as (-1, features)."
                        : string.Empty;
                    throw Fail(node, $"operator '{node.OpType}' is not supported (supported: {string.Join(", ", Operators)}).{hint}");
            }
        }

        private void AddConstant(OnnxNode node)
        {
            if (!node.Attributes.TryGetValue("value", out var v) || v.Tensor is null)
            {
                var given = string.Join(", ", node.Attributes.Keys);
                throw Fail(node, $"only a tensor 'value' attribute is supported (given: {(given.Length == 0 ? "none" : given)}).");
            }

            _constants[node.Outputs[0]] = v.Tensor with { Name = node.Outputs[0] };
        }

        private void AddConv(OnnxNode node, Dictionary<string, OnnxNode> producers)
        {
            var x = Runtime(node, 0);
            var w = Constant(node, 1, "weight");
            if (w.Dims.Length != 4)
            {
                throw Fail(node, $"weight '{w.Name}' has shape [{string.Join(", ", w.Dims)}]; only 2-D convolutions (weight [O, C/groups, kh, kw]) are supported.");
            }

            var shape = w.Dims.Select(d => (int)d).ToArray();
            var autoPad = node.Attributes.TryGetValue("auto_pad", out var ap) ? ap.String ?? "NOTSET" : "NOTSET";
            if (autoPad is not ("NOTSET" or "VALID"))
            {
                throw Fail(node, $"auto_pad '{autoPad}' is not supported (give explicit pads).");
            }

            var kernel = Ints(node, "kernel_shape", [shape[2], shape[3]]);
            if (kernel.Length != 2 || kernel[0] != shape[2] || kernel[1] != shape[3])
            {
                throw Fail(node, $"kernel_shape [{string.Join(", ", kernel)}] does not match the weight's [{shape[2]}, {shape[3]}].");
            }

            var strides = Ints(node, "strides", [1, 1]);
            var dilations = Ints(node, "dilations", [1, 1]);
            var pads = autoPad == "VALID" ? [0, 0, 0, 0] : Ints(node, "pads", [0, 0, 0, 0]);
            if (strides.Length != 2 || dilations.Length != 2 || pads.Length != 4)
            {
                throw Fail(node, "strides/dilations/pads must have 2/2/4 values for a 2-D convolution.");
            }

            var geometry = new ConvolutionGeometry
            {
                StrideH = (int)strides[0], StrideW = (int)strides[1], DilationH = (int)dilations[0], DilationW = (int)dilations[1],
                PadTop = (int)pads[0], PadLeft = (int)pads[1], PadBottom = (int)pads[2], PadRight = (int)pads[3],
                Groups = (int)IntAttr(node, "group", 1),
            };
            var weight = (float[])FloatValues(node, w).Clone();
            float[]? bias = null;
            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
            {
                var b = Constant(node, 2, "bias");
                bias = (float[])FloatValues(node, b).Clone();
                if (bias.Length != shape[0])
                {
                    throw Fail(node, $"bias '{b.Name}' has {bias.Length} values for {shape[0]} output channels.");
                }
            }

            var output = node.Outputs[0];
            var bn = _foldedBn.FirstOrDefault(n => n.Inputs[0] == output);
            if (bn is not null)
            {
                (weight, bias) = Fold(bn, weight, bias, shape);
                _foldedInto[node] = bn;
                _alias[bn.Outputs[0]] = output;
            }

            Module layer = geometry.IsPlain(shape[2], shape[3])
                ? new Conv2d(shape[1], shape[0], shape[2], weight, bias ?? [], geometry.StrideH, geometry.PadTop)
                : new GeneralConv2d(weight, shape, bias, geometry);
            Add(node, layer, x, LayerName(w.Name, node));
        }

        private (float[] Weight, float[] Bias) Fold(OnnxNode bn, float[] weight, float[]? bias, int[] shape)
        {
            var (scale, shift) = BatchNormAffine(bn, shape[0]);
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

        private (float[] Scale, float[] Shift) BatchNormAffine(OnnxNode bn, int channels)
        {
            var bnLayer = MakeBatchNorm(bn, channels);
            return bnLayer.InferenceAffine();
        }

        private BatchNorm2d MakeBatchNorm(OnnxNode node, int? channels)
        {
            if (IntAttr(node, "training_mode", 0) != 0)
            {
                throw Fail(node, "training_mode = 1 is not supported (export the model in eval mode).");
            }

            if (node.Outputs.Skip(1).Any(o => o.Length > 0 && _consumers.ContainsKey(o)))
            {
                throw Fail(node, "its running-statistics outputs are used; only inference BatchNormalization is supported.");
            }

            var gamma = FloatValues(node, Constant(node, 1, "scale"));
            var beta = FloatValues(node, Constant(node, 2, "B"));
            var mean = FloatValues(node, Constant(node, 3, "input_mean"));
            var variance = FloatValues(node, Constant(node, 4, "input_var"));
            var c = channels ?? gamma.Length;
            if (new[] { gamma.Length, beta.Length, mean.Length, variance.Length }.Any(l => l != c))
            {
                throw Fail(node, $"scale/B/mean/var have {gamma.Length}/{beta.Length}/{mean.Length}/{variance.Length} values for {c} channels.");
            }

            var layer = new BatchNorm2d(c, epsilon: FloatAttr(node, "epsilon", 1e-5f));
            gamma.CopyTo(layer.Gamma.Data, 0);
            beta.CopyTo(layer.Beta.Data, 0);
            mean.CopyTo(layer.RunningMean.Data, 0);
            variance.CopyTo(layer.RunningVar.Data, 0);
            return layer;
        }

        private void AddBatchNorm(OnnxNode node)
        {
            if (_foldedBn.Contains(node))
            {
                return; // Aliased to its convolution's output in AddConv.
            }

            var scale = node.Inputs.Count > 1 ? node.Inputs[1] : string.Empty;
            Add(node, MakeBatchNorm(node, null), Runtime(node, 0), LayerName(scale, node));
        }

        private void AddGemm(OnnxNode node)
        {
            var x = Runtime(node, 0);
            var b = Constant(node, 1, "B (weight)");
            if (IntAttr(node, "transA", 0) != 0)
            {
                throw Fail(node, "transA = 1 is not supported (the batch must be the rows of A).");
            }

            if (b.Dims.Length != 2)
            {
                throw Fail(node, $"B '{b.Name}' has shape [{string.Join(", ", b.Dims)}]; a 2-D weight is needed.");
            }

            var transB = IntAttr(node, "transB", 0) != 0;
            int rows = (int)b.Dims[0], cols = (int)b.Dims[1];
            int outF = transB ? rows : cols, inF = transB ? cols : rows;
            var values = FloatValues(node, b);
            var alpha = FloatAttr(node, "alpha", 1f);
            var beta = FloatAttr(node, "beta", 1f);
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
                var c = Constant(node, 2, "C (bias)");
                var cv = FloatValues(node, c);
                if (cv.Length != outF && cv.Length != 1)
                {
                    throw Fail(node, $"C '{c.Name}' has shape [{string.Join(", ", c.Dims)}]; a bias of {outF} values (or one) is needed.");
                }

                bias = Enumerable.Range(0, outF).Select(o => beta * cv[cv.Length == 1 ? 0 : o]).ToArray();
            }

            Add(node, MakeLinear(inF, outF, weight, bias), x, LayerName(b.Name, node));
        }

        private void AddMatMul(OnnxNode node)
        {
            var x = Runtime(node, 0);
            if (!_constants.TryGetValue(node.Inputs[1], out var b))
            {
                throw Fail(node, $"input '{node.Inputs[1]}' is not an initializer; only MatMul by a constant 2-D weight is supported.");
            }

            if (b.Dims.Length != 2)
            {
                throw Fail(node, $"weight '{b.Name}' has shape [{string.Join(", ", b.Dims)}]; a 2-D weight [in, out] is needed.");
            }

            int inF = (int)b.Dims[0], outF = (int)b.Dims[1];
            var values = FloatValues(node, b);
            var weight = new float[outF * inF];
            for (var o = 0; o < outF; o++)
            {
                for (var i = 0; i < inF; i++)
                {
                    weight[(o * inF) + i] = values[(i * outF) + o];
                }
            }

            Add(node, MakeLinear(inF, outF, weight, null), x, LayerName(b.Name, node));
        }

        private static Linear MakeLinear(int inF, int outF, float[] weight, float[]? bias)
        {
            // The seeded initialisation is overwritten at once; Linear has no constructor from given values.
            var layer = new Linear(inF, outF, new Random(0), bias is not null);
            weight.CopyTo(layer.Weight.Data, 0);
            bias?.CopyTo(layer.Bias!.Data, 0);
            return layer;
        }

        private void AddArithmetic(OnnxNode node)
        {
            var op = node.OpType switch
            {
                "Add" => ElementwiseOp.Add,
                "Sub" => ElementwiseOp.Subtract,
                "Mul" => ElementwiseOp.Multiply,
                _ => ElementwiseOp.Divide,
            };
            bool aConst = _constants.ContainsKey(node.Inputs[0]), bConst = _constants.ContainsKey(node.Inputs[1]);
            if (aConst && bConst)
            {
                throw Fail(node, "both operands are constants; export with constant folding (do_constant_folding=True).");
            }

            if (!aConst && !bConst)
            {
                if (op == ElementwiseOp.Divide)
                {
                    throw Fail(node, "division of two runtime tensors is not supported (only by constants).");
                }

                AddMulti(node, new TensorSum(op), [Resolve(node.Inputs[0]), Resolve(node.Inputs[1])]);
                return;
            }

            var c = _constants[node.Inputs[aConst ? 0 : 1]];
            var values = FloatValues(node, c);
            Add(node, new ConstantArithmetic(op, values, c.Dims.Select(d => (int)d).ToArray(), aConst), Resolve(node.Inputs[aConst ? 1 : 0]));
        }

        private void AddClip(OnnxNode node)
        {
            float Bound(int index, float fallback)
            {
                if (node.Inputs.Count <= index || node.Inputs[index].Length == 0)
                {
                    return fallback;
                }

                if (!_constants.TryGetValue(node.Inputs[index], out var t))
                {
                    throw Fail(node, $"bound '{node.Inputs[index]}' is not a constant; only constant min/max are supported.");
                }

                return FloatValues(node, t) is [var v] ? v : throw Fail(node, $"bound '{node.Inputs[index]}' is not a scalar.");
            }

            Add(node, Activation.Clip(Bound(1, float.NegativeInfinity), Bound(2, float.PositiveInfinity)), Runtime(node, 0));
        }

        private void AddPool(OnnxNode node)
        {
            var kernel = Ints(node, "kernel_shape", []);
            var strides = Ints(node, "strides", [1, 1]);
            var pads = Ints(node, "pads", [0, 0, 0, 0]);
            var dilations = Ints(node, "dilations", [1, 1]);
            var autoPad = node.Attributes.TryGetValue("auto_pad", out var ap) ? ap.String ?? "NOTSET" : "NOTSET";
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
            else if (IntAttr(node, "ceil_mode", 0) != 0)
            {
                missing = "ceil_mode = 1 (only floor)";
            }
            else if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && _consumers.ContainsKey(node.Outputs[1]))
            {
                missing = "the Indices output (not computed)";
            }

            if (missing is not null)
            {
                throw Fail(node, $"{missing} is not supported.");
            }

            Module pool = node.OpType == "MaxPool" ? new MaxPool2d((int)kernel[0], (int)strides[0]) : new AvgPool2d((int)kernel[0], (int)strides[0]);
            Add(node, pool, Runtime(node, 0));
        }

        private void AddPad(OnnxNode node)
        {
            // PyTorch (opset ≥ 11) writes Pad before AveragePool and for F.pad; only zero padding of H and W is supported.
            var mode = node.Attributes.TryGetValue("mode", out var m) ? m.String ?? "constant" : "constant";
            if (mode != "constant")
            {
                throw Fail(node, $"mode '{mode}' is not supported (only constant zero padding).");
            }

            if (node.Inputs.Count < 2 || !_constants.TryGetValue(node.Inputs[1], out var p) || p.Integers is not { Length: 8 } pads)
            {
                throw Fail(node, "pads must be a constant int64 tensor of 8 values (a 4-D NCHW input).");
            }

            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0 && (!_constants.TryGetValue(node.Inputs[2], out var v) || FloatValues(node, v).Any(f => f != 0)))
            {
                throw Fail(node, "only a zero padding value is supported.");
            }

            if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || pads.Any(x => x < 0))
            {
                throw Fail(node, $"pads [{string.Join(", ", pads)}] pad the batch or channel axis or crop; only non-negative H/W padding is supported.");
            }

            if (pads.All(x => x == 0))
            {
                _alias[node.Outputs[0]] = Runtime(node, 0);
                return;
            }

            Add(node, new ZeroPad(new ConvolutionGeometry { PadTop = (int)pads[2], PadLeft = (int)pads[3], PadBottom = (int)pads[6], PadRight = (int)pads[7] }), Runtime(node, 0));
        }

        private void AddReshape(OnnxNode node)
        {
            if (!_constants.TryGetValue(node.Inputs[1], out var s) || s.Integers is null)
            {
                throw Fail(node, $"shape '{node.Inputs[1]}' is computed at run time (a dynamic shape); only a constant int64 shape is supported. Reshape to a constant such as (-1, features) or use torch.flatten(x, 1).");
            }

            if (IntAttr(node, "allowzero", 0) != 0)
            {
                throw Fail(node, "allowzero = 1 is not supported.");
            }

            var shape = s.Integers;
            if (shape.Length == 0 || shape[0] > 0)
            {
                throw Fail(node, $"target shape [{string.Join(", ", shape)}] fixes the batch size; its first entry must be 0 or -1 (keep the batch dimension).");
            }

            if (shape[0] == -1 && shape.Skip(1).Any(d => d <= 0))
            {
                throw Fail(node, $"target shape [{string.Join(", ", shape)}] infers the batch dimension but leaves another dimension open.");
            }

            Add(node, ShapeNode.Reshape(shape), Runtime(node, 0));
        }

        private void AddTranspose(OnnxNode node)
        {
            if (!node.Attributes.TryGetValue("perm", out var p))
            {
                throw Fail(node, "no perm attribute (the default reverses all axes, which moves the batch dimension).");
            }

            var perm = p.Ints.Select(v => (int)v).ToArray();
            if (perm.Length == 0 || perm[0] != 0)
            {
                throw Fail(node, $"perm [{string.Join(", ", perm)}] moves the batch dimension; only permutations keeping axis 0 are supported.");
            }

            Add(node, ShapeNode.Transpose(perm), Runtime(node, 0));
        }

        private void Add(OnnxNode node, Module module, string input, string? name = null) => AddMulti(node, module, [input], name);

        private void AddMulti(OnnxNode node, Module module, string[] inputs, string? name = null)
        {
            var unique = name ?? Sanitize(node.Name);
            for (var k = 2; !_names.Add(unique); k++)
            {
                unique = $"{name ?? Sanitize(node.Name)}_{k}";
            }

            _steps.Add(new OnnxStep(unique, module, inputs, node.Outputs[0], node.Where));
            if (module.LocalParameters().Any())
            {
                // Where each parameter came from, so OnnxWriter can put changed weights back into the same initializers.
                _layers.Add(new OnnxLayerSource(unique, node, _foldedInto.GetValueOrDefault(node)));
            }
        }

        private string Runtime(OnnxNode node, int index)
        {
            if (node.Inputs.Count <= index || node.Inputs[index].Length == 0)
            {
                throw Fail(node, $"input {index} is missing.");
            }

            if (_constants.ContainsKey(node.Inputs[index]))
            {
                throw Fail(node, $"input {index} ('{node.Inputs[index]}') is a constant where a runtime tensor is expected; export with constant folding.");
            }

            return Resolve(node.Inputs[index]);
        }

        private OnnxTensor Constant(OnnxNode node, int index, string what)
        {
            if (node.Inputs.Count <= index || !_constants.TryGetValue(node.Inputs[index], out var t))
            {
                var name = node.Inputs.Count > index ? node.Inputs[index] : "(none)";
                throw Fail(node, $"{what} '{name}' is not an initializer or Constant; only constant weights are supported.");
            }

            return t;
        }

        private float[] FloatValues(OnnxNode node, OnnxTensor t) =>
            t.Floats ?? (t.Integers is { } l ? l.Select(v => (float)v).ToArray()
                : throw Fail(node, $"tensor '{t.Name}' is {OnnxTensor.TypeName(t.DataType)}; only float32/float64/int32/int64 constants are supported."));

        private string Resolve(string value)
        {
            while (_alias.TryGetValue(value, out var a))
            {
                value = a;
            }

            return value;
        }

        private static string LayerName(string weightName, OnnxNode node)
        {
            // PyTorch names initializers after the state_dict ("fc1.weight"), which gives the layer paths of the built-ins.
            if (weightName.EndsWith(".weight", StringComparison.Ordinal))
            {
                return weightName[..^".weight".Length];
            }

            return Sanitize(node.Name);
        }

        private static string Sanitize(string name)
        {
            var s = name.Trim('/').Replace('/', '.').Replace(':', '_');
            return s.Length == 0 ? "node" : s;
        }

        private static long IntAttr(OnnxNode node, string name, long fallback) => node.Attributes.TryGetValue(name, out var a) ? a.Int : fallback;

        private static float FloatAttr(OnnxNode node, string name, float fallback) => node.Attributes.TryGetValue(name, out var a) ? a.Float : fallback;

        private static long[] Ints(OnnxNode node, string name, long[] fallback) => node.Attributes.TryGetValue(name, out var a) ? a.Ints : fallback;

        private OnnxFormatException Fail(string message) => new($"{source}: {message}");

        private OnnxFormatException Fail(OnnxNode node, string message) => new($"{source}: {node.Where}: {message}");
    }
}

using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// One import: checks the graph's opset, input and output, collects constants, lowers every node in file order through
/// the per-family lowerings, dry-runs the result once and picks <see cref="Sequential"/> for a plain chain, else
/// <see cref="OnnxGraph"/>. A new operator is a case in <see cref="AddNode"/> and its name in <see cref="OnnxImporter.Operators"/>.
/// </summary>
internal sealed class OnnxImportBuilder(OnnxModel model, OnnxImportOptions options, string source)
{
    private readonly OnnxLowering _lowering = new(model, source);

    public OnnxImport Build()
    {
        if (model.Opset is < OnnxImporter.MinOpset or > OnnxImporter.MaxOpset)
        {
            throw Fail($"opset {model.Opset} is not supported (supported: {OnnxImporter.MinOpset}–{OnnxImporter.MaxOpset}); export with opset_version between them.");
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
        CollectProducers();
        var consumers = _lowering.Consumers;
        foreach (var n in model.Nodes)
        {
            foreach (var i in n.Inputs.Where(i => i.Length > 0))
            {
                consumers[i] = consumers.GetValueOrDefault(i) + 1;
            }
        }

        var output = model.Outputs[0].Name;
        consumers[output] = consumers.GetValueOrDefault(output) + 1;
        // Constants first (Constant nodes, Identity of an initializer), so folding sees every constant BatchNorm input.
        foreach (var n in model.Nodes)
        {
            if (n.OpType == "Constant")
            {
                _lowering.AddConstant(n);
            }
            else if (n.OpType == "Identity" && n.Inputs.Count == 1 && _lowering.Constants.TryGetValue(n.Inputs[0], out var c))
            {
                _lowering.Constants[n.Outputs[0]] = c;
            }
        }

        if (options.FoldBatchNorm)
        {
            BatchNormLowering.MarkFoldable(_lowering);
        }

        foreach (var node in model.Nodes)
        {
            AddNode(node);
        }

        var finalOutput = _lowering.Resolve(output);
        var steps = _lowering.Steps;
        var graph = new OnnxGraph(input.Name, finalOutput, steps);
        var classCount = Validate(graph, sampleShape);
        var body = IsChain(input.Name, finalOutput) ? new Sequential([.. steps.Select(s => (s.Name, s.Module))]) : (Module)graph;
        var network = new Network("onnx", body, sampleShape, classCount);
        return new OnnxImport(network, _lowering.OutputActivation, model.Opset, model.Producer, _lowering.FoldedBatchNorms.Count) { Layers = _lowering.Layers };
    }

    /// <summary>
    /// Records which node writes each value, refusing a value written twice: ONNX graphs are in single static assignment
    /// form (onnx/IR.md, "Names Within a Graph"), and a second writer would silently replace the first one's tensor.
    /// </summary>
    private void CollectProducers()
    {
        var producers = _lowering.Producers;
        foreach (var node in model.Nodes)
        {
            foreach (var o in node.Outputs.Where(o => o.Length > 0))
            {
                var earlier = producers.TryGetValue(o, out var first) ? $"the output of {first.Where}"
                    : model.Initializers.ContainsKey(o) ? "an initializer"
                    : model.Inputs.Any(i => i.Name == o) ? "the graph's input"
                    : null;
                if (earlier is not null)
                {
                    throw _lowering.Fail(node, $"output '{o}' is already {earlier}; each value must be written by one node only (ONNX graphs are in single static assignment form). Re-export the model.");
                }

                producers[o] = node;
            }
        }
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
        foreach (var s in _lowering.Steps)
        {
            if (s.Module is GraphNode || s.Inputs.Count != 1 || s.Inputs[0] != previous)
            {
                return false;
            }

            previous = s.Output;
        }

        return previous == output;
    }

    private void AddNode(OnnxNode node)
    {
        if (node.Domain is not ("" or "ai.onnx"))
        {
            throw _lowering.Fail(node, $"domain '{node.Domain}' is not supported (only the default ONNX domain).");
        }

        var l = _lowering;
        switch (node.OpType)
        {
            case "Constant":
                l.AddConstant(node);
                break;
            case "Identity" when l.Constants.TryGetValue(node.Inputs[0], out var constant):
                l.Constants[node.Outputs[0]] = constant;
                break;
            case "Identity":
                l.Aliases[node.Outputs[0]] = l.Runtime(node, 0);
                break;
            case "Pad":
                ShapeOpLowering.AddPad(l, node);
                break;
            case "Dropout":
                DigitalOpLowering.AddDropout(l, node);
                break;
            case "Softmax":
            case "LogSoftmax":
                DigitalOpLowering.AddOutputSoftmax(l, node);
                break;
            case "Conv":
                WeightedLayerLowering.AddConv(l, node);
                break;
            case "BatchNormalization":
                BatchNormLowering.AddBatchNorm(l, node);
                break;
            case "Gemm":
                WeightedLayerLowering.AddGemm(l, node);
                break;
            case "MatMul":
                WeightedLayerLowering.AddMatMul(l, node);
                break;
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
                DigitalOpLowering.AddArithmetic(l, node);
                break;
            case "Relu":
                l.Add(node, new Relu(), l.Runtime(node, 0));
                break;
            case "LeakyRelu":
                l.Add(node, Activation.LeakyRelu(node.FloatAttr("alpha", 0.01f)), l.Runtime(node, 0));
                break;
            case "Sigmoid":
                l.Add(node, Activation.Sigmoid(), l.Runtime(node, 0));
                break;
            case "Tanh":
                l.Add(node, Activation.Tanh(), l.Runtime(node, 0));
                break;
            case "Clip":
                DigitalOpLowering.AddClip(l, node);
                break;
            case "MaxPool":
            case "AveragePool":
                DigitalOpLowering.AddPool(l, node);
                break;
            case "GlobalAveragePool":
                l.Add(node, new GlobalAveragePool(), l.Runtime(node, 0));
                break;
            case "Flatten":
                ShapeOpLowering.AddFlatten(l, node);
                break;
            case "Reshape":
                ShapeOpLowering.AddReshape(l, node);
                break;
            case "Transpose":
                ShapeOpLowering.AddTranspose(l, node);
                break;
            case "Concat":
                ShapeOpLowering.AddConcat(l, node);
                break;
            default:
                var hint = node.OpType is "Shape" or "Gather" or "Unsqueeze" or "Squeeze" or "Cast" or "ConstantOfShape" or "Expand"
                    ? " Shape arithmetic (dynamic shapes) is not supported: flatten with torch.flatten(x, 1) or reshape to a constant shape such as (-1, features)."
                    : string.Empty;
                throw l.Fail(node, $"operator '{node.OpType}' is not supported (supported: {string.Join(", ", OnnxImporter.Operators)}).{hint}");
        }
    }

    private OnnxFormatException Fail(string message) => _lowering.Fail(message);
}

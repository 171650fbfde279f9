using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// The state of one import while nodes are lowered: known constants (initializers and Constant nodes), value aliases
/// (Identity, inference Dropout, folded BatchNorm), consumer counts, and the steps and weighted layers built so far. The
/// per-family lowerings (<see cref="WeightedLayerLowering"/>, <see cref="BatchNormLowering"/>,
/// <see cref="DigitalOpLowering"/>, <see cref="ShapeOpLowering"/>) add to it; <see cref="OnnxImportBuilder"/> owns it.
/// </summary>
internal sealed class OnnxLowering(OnnxModel model, string source)
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<OnnxStep> _steps = [];
    private readonly List<OnnxLayerSource> _layers = [];

    public OnnxModel Model => model;

    /// <summary>Constant values by name: initializers, Constant nodes and Identity of a constant.</summary>
    public Dictionary<string, OnnxTensor> Constants { get; } = new(model.Initializers, StringComparer.Ordinal);

    /// <summary>Values that are another value under a new name (resolved transitively by <see cref="Resolve"/>).</summary>
    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);

    /// <summary>The node that writes each value (omitted optional outputs, named "", are not values).</summary>
    public Dictionary<string, OnnxNode> Producers { get; } = new(StringComparer.Ordinal);

    /// <summary>How many nodes (and the graph output) read each value.</summary>
    public Dictionary<string, int> Consumers { get; } = new(StringComparer.Ordinal);

    /// <summary>BatchNormalization nodes folded into the Conv before them.</summary>
    public HashSet<OnnxNode> FoldedBatchNorms { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>For each Conv that absorbed a BatchNormalization, that node.</summary>
    public Dictionary<OnnxNode, OnnxNode> FoldedInto { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>"Softmax" or "LogSoftmax" when the graph ends in one (the engine works on logits).</summary>
    public string? OutputActivation { get; set; }

    public IReadOnlyList<OnnxStep> Steps => _steps;

    public IReadOnlyList<OnnxLayerSource> Layers => _layers;

    public void AddConstant(OnnxNode node)
    {
        if (!node.Attributes.TryGetValue("value", out var v) || v.Tensor is null)
        {
            var given = string.Join(", ", node.Attributes.Keys);
            throw Fail(node, $"only a tensor 'value' attribute is supported (given: {(given.Length == 0 ? "none" : given)}).");
        }

        Constants[node.Outputs[0]] = v.Tensor with { Name = node.Outputs[0] };
    }

    public void Add(OnnxNode node, Module module, string input, string? name = null) => AddMulti(node, module, [input], name);

    public void AddMulti(OnnxNode node, Module module, string[] inputs, string? name = null)
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
            _layers.Add(new OnnxLayerSource(unique, node, FoldedInto.GetValueOrDefault(node)));
        }
    }

    /// <summary>The node's runtime input <paramref name="index"/>, resolved through aliases; a constant there is refused.</summary>
    public string Runtime(OnnxNode node, int index)
    {
        if (node.Inputs.Count <= index || node.Inputs[index].Length == 0)
        {
            throw Fail(node, $"input {index} is missing.");
        }

        if (Constants.ContainsKey(node.Inputs[index]))
        {
            throw Fail(node, $"input {index} ('{node.Inputs[index]}') is a constant where a runtime tensor is expected; export with constant folding.");
        }

        return Resolve(node.Inputs[index]);
    }

    /// <summary>The node's constant input <paramref name="index"/> (<paramref name="what"/> names it in the error).</summary>
    public OnnxTensor Constant(OnnxNode node, int index, string what)
    {
        if (node.Inputs.Count <= index || !Constants.TryGetValue(node.Inputs[index], out var t))
        {
            var name = node.Inputs.Count > index ? node.Inputs[index] : "(none)";
            throw Fail(node, $"{what} '{name}' is not an initializer or Constant; only constant weights are supported.");
        }

        return t;
    }

    public float[] FloatValues(OnnxNode node, OnnxTensor t) =>
        t.Floats ?? (t.Integers is { } l ? l.Select(v => (float)v).ToArray()
            : throw Fail(node, $"tensor '{t.Name}' is {OnnxTensor.TypeName(t.DataType)}; only float32/float64/int32/int64 constants are supported."));

    public string Resolve(string value)
    {
        while (Aliases.TryGetValue(value, out var a))
        {
            value = a;
        }

        return value;
    }

    public static string LayerName(string weightName, OnnxNode node)
    {
        // PyTorch names initializers after the state_dict ("fc1.weight"), which gives the layer paths of the built-ins.
        if (weightName.EndsWith(".weight", StringComparison.Ordinal))
        {
            return weightName[..^".weight".Length];
        }

        return Sanitize(node.Name);
    }

    public OnnxFormatException Fail(string message) => new($"{source}: {message}");

    public OnnxFormatException Fail(OnnxNode node, string message) => new($"{source}: {node.Where}: {message}");

    private static string Sanitize(string name)
    {
        var s = name.Trim('/').Replace('/', '.').Replace(':', '_');
        return s.Length == 0 ? "node" : s;
    }
}

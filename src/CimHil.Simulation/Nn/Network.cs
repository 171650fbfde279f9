using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Nn;

/// <summary>
/// A complete classifier: a module tree with PyTorch-style parameter paths, its architecture name and input shape.
/// This is the object the trainer, the checkpoint reader and the CiM mapping work on.
/// </summary>
public sealed class Network
{
    private readonly List<(string Path, Module Module)> _modules = [];
    private readonly List<IWeightedLayer> _weighted = [];

    /// <summary>Wraps <paramref name="body"/> and assigns every module its dotted path.</summary>
    public Network(string architecture, Module body, IReadOnlyList<int> inputShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(inputShape);
        Architecture = architecture;
        Body = body;
        InputShape = inputShape.ToArray();
        ClassCount = classCount;
        Walk(body, string.Empty);
        foreach (var (path, t) in NamedParameters())
        {
            t.Name = path;
        }
    }

    /// <summary>Architecture name as known to <see cref="Models.ModelZoo"/>, e.g. "lenet5".</summary>
    public string Architecture { get; }

    /// <summary>The root module.</summary>
    public Module Body { get; }

    /// <summary>Shape of one input sample [C, H, W].</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Number of output logits.</summary>
    public int ClassCount { get; }

    /// <summary>All modules (depth-first, parents before children) with their paths.</summary>
    public IReadOnlyList<(string Path, Module Module)> Modules => _modules;

    /// <summary>Conv2d and Linear layers in forward order: the matrices a CiM mapping places on crossbars.</summary>
    public IReadOnlyList<IWeightedLayer> WeightedLayers => _weighted;

    /// <summary>Total number of trainable scalars.</summary>
    public int ParameterCount => NamedParameters().Sum(p => p.Tensor.Length);

    /// <summary>Runs the network on x [N, C, H, W] and returns logits [N, classes].</summary>
    public Tensor Forward(Tensor input, ForwardContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != InputShape.Count + 1 || !input.Shape.Skip(1).SequenceEqual(InputShape))
        {
            throw new ArgumentException($"Network '{Architecture}' expects input [N, {string.Join(", ", InputShape)}], got {input.ShapeString()}.", nameof(input));
        }

        return Body.Forward(input, context ?? ForwardContext.Inference);
    }

    /// <summary>Predicted class per sample (no gradient recorded).</summary>
    public int[] Predict(Tensor input, ForwardContext? context = null)
    {
        using var _ = Tensor.NoGrad();
        return Ops.ArgMax(Forward(input, context));
    }

    /// <summary>Trainable tensors with state_dict keys ("conv1.weight", …), in registration order.</summary>
    public IEnumerable<(string Path, Tensor Tensor)> NamedParameters()
    {
        foreach (var (path, m) in _modules)
        {
            foreach (var (name, t) in m.LocalParameters())
            {
                yield return (Join(path, name), t);
            }
        }
    }

    /// <summary>Trainable tensors.</summary>
    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor).ToList();

    /// <summary>Non-trainable state (BatchNorm running statistics) with state_dict keys.</summary>
    public IEnumerable<(string Path, Tensor Tensor)> NamedBuffers()
    {
        foreach (var (path, m) in _modules)
        {
            foreach (var (name, t) in m.LocalBuffers())
            {
                yield return (Join(path, name), t);
            }
        }
    }

    /// <summary>The weighted layer with this path.</summary>
    public IWeightedLayer Layer(string path) =>
        _weighted.FirstOrDefault(l => l.Path == path)
        ?? throw new KeyNotFoundException($"Network '{Architecture}' has no weighted layer '{path}' (it has {string.Join(", ", _weighted.Select(l => l.Path))}).");

    /// <summary>Clears all parameter gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.ZeroGrad();
        }
    }

    /// <summary>Copies parameters and buffers from a network of the same architecture.</summary>
    public void CopyStateFrom(Network other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var src = other.NamedParameters().Concat(other.NamedBuffers()).ToDictionary(p => p.Path, p => p.Tensor);
        foreach (var (path, t) in NamedParameters().Concat(NamedBuffers()))
        {
            if (!src.TryGetValue(path, out var s) || s.Length != t.Length)
            {
                throw new ArgumentException($"Cannot copy state: '{path}' is missing or has another size in the source network '{other.Architecture}'.", nameof(other));
            }

            s.Data.CopyTo(t.Data, 0);
        }

        var bnSrc = other._modules.Where(m => m.Module is BatchNorm2d).ToDictionary(m => m.Path, m => (BatchNorm2d)m.Module);
        foreach (var (path, m) in _modules)
        {
            if (m is BatchNorm2d bn && bnSrc.TryGetValue(path, out var sbn))
            {
                bn.BatchesTracked = sbn.BatchesTracked;
            }
        }
    }

    /// <summary>One line per module: path, description, parameter count.</summary>
    public string Summary()
    {
        var lines = new List<string> { $"{Architecture}: input [{string.Join(", ", InputShape)}], {ClassCount} classes, {ParameterCount} parameters" };
        foreach (var (path, m) in _modules)
        {
            if (!m.Children().Any())
            {
                var count = m.LocalParameters().Sum(p => p.Tensor.Length);
                lines.Add($"  {path,-24} {m.Describe(),-44} {count,8}");
            }
        }

        return string.Join(Environment.NewLine, lines);
    }

    internal static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private void Walk(Module m, string path)
    {
        m.Path = path;
        _modules.Add((path, m));
        if (m is IWeightedLayer w)
        {
            _weighted.Add(w);
        }

        foreach (var (name, child) in m.Children())
        {
            Walk(child, Join(path, name));
        }
    }
}

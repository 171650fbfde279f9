using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// An imported ONNX graph as one module: a DAG of engine modules evaluated in the file's (topological) node order. Its
/// children are the node modules under their names, so <see cref="Network.WeightedLayers"/> lists the graph's Conv, Gemm
/// and MatMul weights like a built-in network's, and autograd flows through every path.
/// </summary>
public sealed class OnnxGraph : Module
{
    private readonly List<OnnxStep> _steps;

    /// <summary>Creates the graph from steps in topological order.</summary>
    public OnnxGraph(string inputName, string outputName, IReadOnlyList<OnnxStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        InputName = inputName;
        OutputName = outputName;
        _steps = [.. steps];
    }

    /// <summary>Name of the graph input value.</summary>
    public string InputName { get; }

    /// <summary>Name of the value returned as the logits.</summary>
    public string OutputName { get; }

    /// <summary>The steps in evaluation order.</summary>
    public IReadOnlyList<OnnxStep> Steps => _steps;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [InputName] = input };
        foreach (var step in _steps)
        {
            try
            {
                values[step.Output] = step.Module is GraphNode node
                    ? node.Forward(step.Inputs.Select(i => values[i]).ToArray(), context)
                    : step.Module.Forward(values[step.Inputs[0]], context);
            }
            catch (ArgumentException e)
            {
                throw new OnnxFormatException($"{step.Where}: {e.Message} (inputs {string.Join(", ", step.Inputs.Select(i => values.TryGetValue(i, out var v) ? v.ShapeString() : "?"))})", e);
            }
        }

        return values[OutputName];
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Module Module)> Children() => _steps.Select(s => (s.Name, s.Module));

    /// <inheritdoc />
    public override string Describe() => $"OnnxGraph({_steps.Count} nodes)";
}

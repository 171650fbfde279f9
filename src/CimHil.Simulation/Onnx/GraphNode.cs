using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>A module of an imported graph that takes several runtime inputs (residual Add, Concat).</summary>
public abstract class GraphNode : Module
{
    /// <summary>Computes the output from all runtime inputs in the node's input order.</summary>
    public abstract Tensor Forward(IReadOnlyList<Tensor> inputs, ForwardContext context);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Forward([input], context);
}

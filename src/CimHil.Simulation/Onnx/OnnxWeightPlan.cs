namespace CimHil.Simulation.Onnx;

/// <summary>How a source file's initializers change when an imported network's weights are written back.</summary>
/// <param name="Replace">Initializers rewritten in place, by name.</param>
/// <param name="Add">New initializers (for inputs that shared an initializer whose users now hold different values).</param>
/// <param name="Renames">Node inputs that now read a new initializer: (node index in file order, input index) → name.</param>
internal sealed record OnnxWeightPlan(IReadOnlyDictionary<string, OnnxTensor> Replace, IReadOnlyList<OnnxTensor> Add, IReadOnlyDictionary<(int Node, int Input), string> Renames);

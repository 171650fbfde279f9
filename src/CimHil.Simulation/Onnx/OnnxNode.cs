namespace CimHil.Simulation.Onnx;

/// <summary>An ONNX NodeProto: one operator application.</summary>
/// <param name="Name">Node name (may be empty in the file; the reader then names it "&lt;op&gt;_&lt;index&gt;").</param>
/// <param name="OpType">Operator, e.g. "Conv".</param>
/// <param name="Domain">Operator domain ("" or "ai.onnx" is the default domain).</param>
/// <param name="Inputs">Input value names ("" = an omitted optional input).</param>
/// <param name="Outputs">Output value names.</param>
/// <param name="Attributes">Attributes by name.</param>
public sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>"node 'name' (Op)", the prefix of every import error about this node.</summary>
    public string Where => $"node '{Name}' ({OpType})";
}

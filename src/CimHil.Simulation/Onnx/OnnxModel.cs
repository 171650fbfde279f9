namespace CimHil.Simulation.Onnx;

/// <summary>A parsed ONNX ModelProto: the main graph and the opset of the default domain.</summary>
/// <param name="IrVersion">ModelProto.ir_version.</param>
/// <param name="Opset">Opset version imported for the default ("" / "ai.onnx") domain.</param>
/// <param name="Producer">producer_name and producer_version, e.g. "pytorch 1.13.0".</param>
/// <param name="Nodes">Graph nodes in file order (ONNX requires topological order).</param>
/// <param name="Initializers">Graph initializers by name.</param>
/// <param name="Inputs">Graph inputs (may include initializers in files of IR version &lt; 4).</param>
/// <param name="Outputs">Graph outputs.</param>
public sealed record OnnxModel(long IrVersion, long Opset, string Producer, IReadOnlyList<OnnxNode> Nodes, IReadOnlyDictionary<string, OnnxTensor> Initializers, IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs);

namespace CimHil.Simulation.Onnx;

/// <summary>An ONNX AttributeProto of a node (only the kinds the importer uses are kept).</summary>
/// <param name="Name">Attribute name, e.g. "strides".</param>
/// <param name="Type">AttributeProto.AttributeType (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, …).</param>
/// <param name="Float">Value of a FLOAT attribute.</param>
/// <param name="Int">Value of an INT attribute.</param>
/// <param name="String">Value of a STRING attribute (UTF-8).</param>
/// <param name="Tensor">Value of a TENSOR attribute.</param>
/// <param name="Floats">Values of a FLOATS attribute.</param>
/// <param name="Ints">Values of an INTS attribute.</param>
public sealed record OnnxAttribute(string Name, int Type, float Float, long Int, string? String, OnnxTensor? Tensor, float[] Floats, long[] Ints);

namespace CimHil.Simulation.Onnx;

/// <summary>An ONNX ValueInfoProto of a graph input or output: element type and shape.</summary>
/// <param name="Name">Value name.</param>
/// <param name="ElementType">TensorProto.DataType code of the elements (0 if not a tensor type).</param>
/// <param name="Dims">Dimensions: a number, or null where the file gives a symbolic (dim_param) or no value.</param>
/// <param name="DimNames">The dim_param of each dimension ("" where it is a number).</param>
public sealed record OnnxValueInfo(string Name, int ElementType, long?[] Dims, string[] DimNames);

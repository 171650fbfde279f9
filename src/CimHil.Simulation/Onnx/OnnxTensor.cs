namespace CimHil.Simulation.Onnx;

/// <summary>An ONNX TensorProto: a named constant (initializer, Constant node value, tensor attribute).</summary>
/// <param name="Name">The tensor's name (empty for an attribute value).</param>
/// <param name="Dims">Its shape.</param>
/// <param name="DataType">TensorProto.DataType code (1 FLOAT, 6 INT32, 7 INT64, 11 DOUBLE, …).</param>
/// <param name="Floats">The values for FLOAT/DOUBLE tensors (converted to float32), else null.</param>
/// <param name="Integers">The values for INT32/INT64 tensors, else null.</param>
public sealed record OnnxTensor(string Name, long[] Dims, int DataType, float[]? Floats, long[]? Integers)
{
    /// <summary>Number of elements (product of <see cref="Dims"/>; 1 for a scalar).</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Name of a TensorProto data type code, for error messages.</summary>
    public static string TypeName(int dataType) => dataType switch
    {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        16 => "bfloat16",
        _ => $"data type {dataType}",
    };
}

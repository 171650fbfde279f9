namespace CimHil.Simulation.Onnx;

/// <summary>An ONNX file that cannot be read or imported: the message names the file, the node, the operator and what is wrong.</summary>
public sealed class OnnxFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public OnnxFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception without a message (serialisation and analyzers).</summary>
    public OnnxFormatException()
    {
    }
}

using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Turns an ONNX graph (opsets 11–17) into an engine <see cref="Network"/>. Conv, Gemm and MatMul with weight initializers
/// become weighted layers (built-in <see cref="Conv2d"/>/<see cref="Linear"/> where they fit, else <see cref="GeneralConv2d"/>),
/// which the CiM mapping places on crossbars; biases, BatchNorm, pooling, activations and arithmetic stay digital.
/// A graph that is a plain chain becomes a <see cref="Sequential"/> (so the Monte-Carlo fast path runs it exactly like a
/// built-in network); any other DAG becomes an <see cref="OnnxGraph"/>. Anything unsupported is refused with the node's
/// name, its operator and what is missing.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Lowest supported opset of the default domain.</summary>
    public const int MinOpset = 11;

    /// <summary>Highest supported opset of the default domain.</summary>
    public const int MaxOpset = 17;

    /// <summary>Operators the importer maps.</summary>
    public static IReadOnlyList<string> Operators { get; } =
    [
        "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "MaxPool",
        "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Concat", "Identity",
        "Dropout", "Softmax", "LogSoftmax", "Constant", "Pad",
    ];

    /// <summary>Reads and imports an .onnx file.</summary>
    public static async Task<OnnxImport> LoadAsync(string path, OnnxImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        var model = await OnnxReader.LoadAsync(path, cancellationToken).ConfigureAwait(false);
        return Import(model, options, path);
    }

    /// <summary>Imports a parsed model; <paramref name="source"/> names the file in errors.</summary>
    public static OnnxImport Import(OnnxModel model, OnnxImportOptions? options = null, string source = "<onnx>")
    {
        ArgumentNullException.ThrowIfNull(model);
        return new OnnxImportBuilder(model, options ?? OnnxImportOptions.Default, source).Build();
    }

    /// <summary>True for an .onnx path (the CLI's test for "import rather than load a checkpoint").</summary>
    public static bool IsOnnxPath(string? path) => path is not null && path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
}

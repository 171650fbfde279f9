using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;

namespace CimHil.Simulation.Tests.Onnx;

/// <summary>
/// Output names that repeat inside a graph: the empty names of omitted optional outputs (legal, and common on
/// BatchNormalization and Dropout), and a value name written by two nodes (not legal: ONNX graphs are SSA, onnx/IR.md
/// "Graphs"). Both once crashed <c>--fold-batchnorm</c> with "An item with the same key has already been added".
/// </summary>
public sealed class OnnxOutputNameTests
{
    /// <summary>x [N, 1, 4, 4] → Conv(2×1×3×3) → BatchNorm (outputs "h", "", "") → <paramref name="tail"/> → Flatten → Gemm(3×8).</summary>
    private static byte[] ConvBatchNorm(string[] batchNormOutputs, string tail = "Relu", string tailOutput = "r")
    {
        float[] Ramp(int n, float step, float start) => Enumerable.Range(0, n).Select(i => start + (step * i)).ToArray();
        return new OnnxModelWriter()
            .Input("x", null, 1, 4, 4)
            .Output("y", null, 3)
            .Initializer("conv.weight", [2, 1, 3, 3], Ramp(18, 0.05f, -0.4f))
            .Initializer("conv.bias", [2], [0.1f, -0.2f])
            .Initializer("bn.weight", [2], [1.5f, 0.5f])
            .Initializer("bn.bias", [2], [0.25f, -0.125f])
            .Initializer("bn.running_mean", [2], [0.2f, -0.1f])
            .Initializer("bn.running_var", [2], [0.8f, 2f])
            .Initializer("fc.weight", [3, 8], Ramp(24, 0.03f, -0.3f))
            .Node("/conv/Conv", "Conv", ["x", "conv.weight", "conv.bias"], ["c"])
            .Node("/bn/BatchNormalization", "BatchNormalization", ["c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], batchNormOutputs)
            .Node("/act", tail, ["h"], [tailOutput])
            .Node("/flat", "Flatten", [tailOutput], ["f"])
            .Node("/fc/Gemm", "Gemm", ["f", "fc.weight"], ["y"], ("transB", 1L))
            .ToBytes();
    }

    private static float[] Logits(Network network)
    {
        var x = new Tensor(Enumerable.Range(0, 2 * 16).Select(i => MathF.Sin(i * 0.7f)).ToArray(), 2, 1, 4, 4);
        using var _ = Tensor.NoGrad();
        return network.Forward(x).Data;
    }

    [Fact]
    public void FoldBatchNorm_WithEmptyOptionalOutputNames_FoldsAndKeepsTheLogits()
    {
        var bytes = ConvBatchNorm(["h", "", ""]);

        var plain = OnnxImporter.Import(OnnxReader.Parse(bytes), source: "bn.onnx");
        var folded = OnnxImporter.Import(OnnxReader.Parse(bytes), new OnnxImportOptions { FoldBatchNorm = true }, "bn.onnx");

        Assert.Equal(1, folded.FoldedBatchNorms);
        Assert.Equal(0, BatchNormFolding.BatchNormCount(folded.Network));
        Assert.Equal(1, BatchNormFolding.BatchNormCount(plain.Network));
        Assert.True(OnnxFixtures.MaxRelativeError(Logits(folded.Network), Logits(plain.Network)) <= 1e-5);
    }

    [Fact]
    public void FoldBatchNorm_WithEmptyOptionalOutputNames_WritesBackAFileThatReimportsToTheSameLogits()
    {
        var bytes = ConvBatchNorm(["h", "", ""]);
        var options = new OnnxImportOptions { FoldBatchNorm = true };
        var folded = OnnxImporter.Import(OnnxReader.Parse(bytes), options, "bn.onnx");

        var written = OnnxWriter.Rewrite(bytes, "bn.onnx", folded.Network, options, "same weights");
        var again = OnnxImporter.Import(OnnxReader.Parse(written), source: "written.onnx");

        Assert.True(OnnxFixtures.MaxRelativeError(Logits(again.Network), Logits(folded.Network)) <= 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ValueWrittenByTwoNodes_IsRefusedNamingBothNodesAndTheName(bool fold)
    {
        // "/act" writes "h", which the BatchNorm already wrote.
        var bytes = ConvBatchNorm(["h"], tail: "Relu", tailOutput: "h");

        var e = Assert.Throws<OnnxFormatException>(() =>
            OnnxImporter.Import(OnnxReader.Parse(bytes), new OnnxImportOptions { FoldBatchNorm = fold }, "twice.onnx"));

        Assert.Equal(
            "twice.onnx: node '/act' (Relu): output 'h' is already the output of node '/bn/BatchNormalization' (BatchNormalization); "
            + "each value must be written by one node only (ONNX graphs are in single static assignment form). Re-export the model.",
            e.Message);
    }

    [Fact]
    public void OutputThatRenamesTheGraphInput_IsRefusedNamingTheNode()
    {
        var bytes = new OnnxModelWriter().Input("x", null, 4).Output("y", null, 4)
            .Node("/first", "Relu", ["x"], ["x"])
            .Node("/second", "Relu", ["x"], ["y"]).ToBytes();

        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(bytes), source: "in.onnx"));

        Assert.StartsWith("in.onnx: node '/first' (Relu): output 'x' is already the graph's input", e.Message, StringComparison.Ordinal);
    }
}

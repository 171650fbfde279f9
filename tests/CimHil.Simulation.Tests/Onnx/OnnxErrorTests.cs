using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Onnx;
using static CimHil.Simulation.Tests.Onnx.OnnxFixtures;

namespace CimHil.Simulation.Tests.Onnx;

public sealed class OnnxErrorTests
{
    /// <summary>x [N, 4] → Gemm(W [3, 4], transB) → Relu: a valid two-node model to break one piece at a time.</summary>
    private static OnnxModelWriter Valid(long opset = 13, string secondOp = "Relu", long featureDim = 4, long weightIn = 4) =>
        new OnnxModelWriter { Opset = opset }
            .Input("x", null, featureDim)
            .Output("y", null, 3)
            .Initializer("fc.weight", [3, weightIn], new float[3 * weightIn])
            .Node("/fc/Gemm", "Gemm", ["x", "fc.weight"], ["h"], ("transB", 1L))
            .Node("/act", secondOp, ["h"], ["y"]);

    [Fact]
    public void ValidHandWrittenModel_Imports()
    {
        var net = OnnxImporter.Import(OnnxReader.Parse(Valid().ToBytes())).Network;

        Assert.Equal(["fc"], net.WeightedLayers.Select(l => l.Path));
        Assert.Equal(3, net.ClassCount);
    }

    [Fact]
    public void UnsupportedOperator_IsRefusedWithNodeNameAndOperator()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(Valid(secondOp: "Erf").ToBytes()), source: "net.onnx"));

        Assert.StartsWith("net.onnx: node '/act' (Erf): operator 'Erf' is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShapeOperator_IsRefusedAsADynamicShapeWithTheFix()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(Valid(secondOp: "Shape").ToBytes())));

        Assert.Contains("node '/act' (Shape)", e.Message, StringComparison.Ordinal);
        Assert.Contains("torch.flatten(x, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DynamicSampleDimension_IsRefused()
    {
        var bytes = new OnnxModelWriter().Input("x", null, null).Output("y", null, 3)
            .Node("r", "Relu", ["x"], ["y"]).ToBytes();

        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(bytes)));

        Assert.Contains("input 'x' dimension 1 is dynamic ('batch')", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(18)]
    public void OpsetOutsideElevenToSeventeen_IsRefused(long opset)
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(Valid(opset).ToBytes())));

        Assert.Contains($"opset {opset} is not supported (supported: 11–17)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WeightThatDoesNotFitItsInput_IsRefusedAtImportWithTheNodeAndShapes()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(Valid(featureDim: 5).ToBytes())));

        Assert.Contains("node '/fc/Gemm' (Gemm)", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 5]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedAttribute_IsRefusedWithWhatIsMissing()
    {
        var bytes = new OnnxModelWriter().Input("x", null, 1, 8, 8).Output("y", null, 4)
            .Node("/pool", "MaxPool", ["x"], ["p"], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }))
            .Node("/flat", "Flatten", ["p"], ["y"]).ToBytes();

        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(bytes)));

        Assert.Contains("node '/pool' (MaxPool): pads [1, 1, 1, 1] / auto_pad NOTSET (only unpadded pooling) is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReshapeThatFixesTheBatch_IsRefused()
    {
        var bytes = new OnnxModelWriter().Input("x", null, 2, 2).Output("y", null, 4)
            .Initializer("shape", [2], [1L, 4L])
            .Node("/reshape", "Reshape", ["x", "shape"], ["y"]).ToBytes();

        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(OnnxReader.Parse(bytes)));

        Assert.Contains("node '/reshape' (Reshape): target shape [1, 4] fixes the batch size", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.1)]
    [InlineData(0.97)]
    public void TruncatedFile_IsRefusedNamingTheFile(double fraction)
    {
        var bytes = File.ReadAllBytes(PathOf("lenet5"));

        var e = Assert.Throws<OnnxFormatException>(() => OnnxReader.Parse(bytes[..(int)(bytes.Length * fraction)], "lenet5.onnx"));

        Assert.StartsWith("lenet5.onnx: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NpyWithFloat64Inputs_IsRefusedNamingDtypeAndFix()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-npy");
        try
        {
            var x = Path.Combine(dir.FullName, "x.npy");
            var y = Path.Combine(dir.FullName, "y.npy");
            var good = Npy.Serialize(new NpyArray([2, 3], "<f4", new float[6], null));

            // Same array declared as float64 ('<f8') with 8-byte values: what np.save writes without astype(np.float32).
            var header = System.Text.Encoding.ASCII.GetString(good, 10, good.Length - 10 - 24).Replace("<f4", "<f8", StringComparison.Ordinal);
            File.WriteAllBytes(x, [.. good[..10], .. System.Text.Encoding.ASCII.GetBytes(header), .. new byte[48]]);
            File.WriteAllBytes(y, Npy.Serialize(new NpyArray([2], "<i8", null, [0, 1])));

            var e = Assert.Throws<DatasetFormatException>(() => Npy.LoadDatasetAsync(x, y, 10).GetAwaiter().GetResult());

            Assert.Contains("x.npy: dtype '<f8' is not supported; inputs must be float32", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task NpyLabelsAsInt32OrShapeMismatch_AreRefusedNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-npy");
        try
        {
            var x = Path.Combine(dir.FullName, "x.npy");
            var y = Path.Combine(dir.FullName, "y.npy");
            await File.WriteAllBytesAsync(x, Npy.Serialize(new NpyArray([3, 1, 2, 2], "<f4", new float[12], null)));
            await File.WriteAllBytesAsync(y, Npy.Serialize(new NpyArray([3], "<f4", [0, 1, 2], null)));
            var dtype = await Assert.ThrowsAsync<DatasetFormatException>(() => Npy.LoadDatasetAsync(x, y, 10));
            Assert.Contains("y.npy: labels are <f4; int64 ('<i8') labels are needed", dtype.Message, StringComparison.Ordinal);

            await File.WriteAllBytesAsync(y, Npy.Serialize(new NpyArray([3], "<i8", null, [0, 1, 2])));
            var shape = await Assert.ThrowsAsync<DatasetFormatException>(() => Npy.LoadDatasetAsync(x, y, 10, [1, 28, 28]));
            Assert.Contains("x.npy: samples have shape [1, 2, 2], the model expects [1, 28, 28]", shape.Message, StringComparison.Ordinal);

            await File.WriteAllBytesAsync(y, Npy.Serialize(new NpyArray([3], "<i8", null, [0, 10, 2])));
            var label = await Assert.ThrowsAsync<DatasetFormatException>(() => Npy.LoadDatasetAsync(x, y, 10));
            Assert.Contains("label [1] = 10 is outside [0, 10)", label.Message, StringComparison.Ordinal);

            await File.WriteAllBytesAsync(y, Npy.Serialize(new NpyArray([3], "<i8", null, [0, 9, 2])));
            var ok = await Npy.LoadDatasetAsync(x, y, 10, [1, 2, 2]);
            Assert.Equal([0, 9, 2], ok.Labels.ToArray());
            Assert.Equal(3, ok.Count);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void NpyRoundTrip_ReadsWhatNumPyWrote()
    {
        var (x, labels) = TestData();

        Assert.Equal([256, 1, 28, 28], x.ShapeArray());
        Assert.Equal(256, labels.Length);
        Assert.InRange(x.Data.Max(), 0.99f, 1f);
        var again = Npy.Parse(Npy.Serialize(new NpyArray(x.ShapeArray(), "<f4", x.Data, null)));
        Assert.Equal(x.Data, again.Floats);
        Assert.Equal(0, Npy.Serialize(new NpyArray([2], "<i8", null, [1, 2])).Length % 16);
        _ = Tensor.Zeros(1);
    }
}

using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;
using Microsoft.ML.OnnxRuntime;
using static CimHil.Simulation.Tests.Onnx.OnnxFixtures;

namespace CimHil.Simulation.Tests.Onnx;

/// <summary>OnnxWriter: every written file runs in ONNX Runtime with the engine's logits, and imports back bit for bit.</summary>
public sealed class OnnxWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cimhil-onnx-writer-").FullName;

    public static TheoryData<string, bool> FixturesAndFolding() => new()
    {
        { "lenet5", false }, { "mlp", false }, { "residual-cnn", false }, { "residual-cnn", true },
        { "depthwise-separable", false }, { "depthwise-separable", true },
    };

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(FixturesAndFolding))]
    public async Task ImportedFixture_WithChangedWeights_RunsInOnnxRuntimeWithTheEngineLogits(string name, bool fold)
    {
        var imported = await OnnxImporter.LoadAsync(PathOf(name), new OnnxImportOptions { FoldBatchNorm = fold });
        Perturb(imported.Network);
        var written = Path.Combine(_folder, $"{name}-{fold}.onnx");

        await OnnxWriter.WriteAsync(written, imported.Network, PathOf(name), fold, "perturbed weights");

        var x = SamplesFor(imported.Network);
        var engine = EngineOutput(imported.Network, x, imported.OutputActivation);
        var ort = OnnxRuntimeOutput(written, x);
        Assert.True(MaxRelativeError(engine, ort) <= 1e-4, $"{name}: engine vs ONNX Runtime max relative error {MaxRelativeError(engine, ort):E2}");
        Assert.True(MaxRelativeError(engine, OnnxRuntimeOutput(PathOf(name), x)) > 1e-3, "the perturbation must change the logits, or this test could not fail");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task RoundTrip_ImportWriteImport_KeepsEveryWeightBitIdentical(string name)
    {
        var imported = await OnnxImporter.LoadAsync(PathOf(name));
        Perturb(imported.Network);
        var written = Path.Combine(_folder, name + ".onnx");
        await OnnxWriter.WriteAsync(written, imported.Network, PathOf(name), false, "round trip");

        var again = (await OnnxImporter.LoadAsync(written)).Network;

        AssertSameState(imported.Network, again, name);
    }

    [Theory]
    [InlineData("residual-cnn")]
    [InlineData("depthwise-separable")]
    public async Task RoundTrip_OfFoldedBatchNorm_KeepsTheCrossbarWeightsBitIdentical(string name)
    {
        var options = new OnnxImportOptions { FoldBatchNorm = true };
        var imported = await OnnxImporter.LoadAsync(PathOf(name), options);
        Perturb(imported.Network);
        var written = Path.Combine(_folder, name + ".onnx");
        await OnnxWriter.WriteAsync(written, imported.Network, PathOf(name), true, "folded");

        // The folded BatchNorm is written as the identity (scale 1, mean 0, var 1 − ε) after the folded convolution.
        var again = (await OnnxImporter.LoadAsync(written)).Network;

        Assert.Equal(imported.Network.WeightedLayers.Select(l => l.Path), again.WeightedLayers.Select(l => l.Path));
        foreach (var (a, b) in imported.Network.WeightedLayers.Zip(again.WeightedLayers))
        {
            Assert.True(a.Weight.Data.AsSpan().SequenceEqual(b.Weight.Data), $"{name}: '{a.Path}' weights changed in the round trip");
        }
    }

    [Fact]
    public async Task Rewrite_KeepsNodesOpsetAndInputs_AndSetsTheDocString()
    {
        var imported = await OnnxImporter.LoadAsync(PathOf("depthwise-separable"));
        var written = Path.Combine(_folder, "dw.onnx");

        await OnnxWriter.WriteAsync(written, imported.Network, PathOf("depthwise-separable"), false, "chip 3 of 10");

        var source = await OnnxReader.LoadAsync(PathOf("depthwise-separable"));
        var copy = await OnnxReader.LoadAsync(written);
        Assert.Equal(source.Opset, copy.Opset);
        Assert.Equal(source.Producer, copy.Producer);
        Assert.Equal(source.Nodes.Select(n => (n.Name, n.OpType, string.Join(",", n.Inputs), string.Join(",", n.Outputs), n.Attributes.Count)),
            copy.Nodes.Select(n => (n.Name, n.OpType, string.Join(",", n.Inputs), string.Join(",", n.Outputs), n.Attributes.Count)));
        Assert.Equal(source.Initializers.Keys.Order(), copy.Initializers.Keys.Order());
        using var session = new InferenceSession(written);
        Assert.Equal("chip 3 of 10", session.ModelMetadata.Description);
    }

    [Theory]
    [InlineData(ModelZoo.LeNet5)]
    [InlineData(ModelZoo.VggSmall)]
    [InlineData(ModelZoo.ResNetSmall)]
    public async Task BuiltInNetwork_IsEmitted_RunsInOnnxRuntime_AndImportsBackBitIdentical(string architecture)
    {
        var network = ModelZoo.Create(architecture, seed: 5);
        Perturb(network); // also moves BatchNorm statistics away from their defaults (0, 1), so a lost buffer shows
        var written = Path.Combine(_folder, architecture + ".onnx");

        await OnnxWriter.WriteAsync(written, network, sourceModel: null, foldBatchNorm: false, "built-in");

        var x = SamplesFor(network, 32);
        var engine = EngineOutput(network, x, null);
        var ort = OnnxRuntimeOutput(written, x);
        Assert.True(MaxRelativeError(engine, ort) <= 1e-4, $"{architecture}: engine vs ONNX Runtime max relative error {MaxRelativeError(engine, ort):E2}");
        var again = (await OnnxImporter.LoadAsync(written)).Network;
        Assert.Equal(network.WeightedLayers.Select(l => (l.Path, l.OutputCount, l.FanIn)), again.WeightedLayers.Select(l => (l.Path, l.OutputCount, l.FanIn)));
        AssertSameState(network, again, architecture);
    }

    [Fact]
    public async Task Rewrite_OfANetworkThatIsNotTheFilesImport_IsRefusedNamingTheParameters()
    {
        var other = ModelZoo.Create(ModelZoo.VggSmall, seed: 1);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => OnnxWriter.WriteAsync(Path.Combine(_folder, "x.onnx"), other, PathOf("lenet5"), false, "x"));

        Assert.Contains("lenet5.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("conv1.weight[150]", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "x.onnx")));
    }

    public static TheoryData<string> Fixtures() => [.. Names];

    /// <summary>Same parameter and buffer paths, every value bit-identical.</summary>
    internal static void AssertSameState(Network expected, Network actual, string what)
    {
        var a = expected.NamedParameters().Concat(expected.NamedBuffers()).ToList();
        var b = actual.NamedParameters().Concat(actual.NamedBuffers()).ToList();
        Assert.Equal(a.Select(p => p.Path), b.Select(p => p.Path));
        foreach (var (x, y) in a.Zip(b))
        {
            Assert.True(x.Tensor.Data.AsSpan().SequenceEqual(y.Tensor.Data), $"{what}: '{x.Path}' changed in the round trip");
        }
    }

    /// <summary>Deterministic relative changes of every parameter and buffer (variances stay positive).</summary>
    internal static void Perturb(Network network)
    {
        var k = 0;
        foreach (var (path, t) in network.NamedParameters().Concat(network.NamedBuffers()))
        {
            var offset = path.EndsWith("running_var", StringComparison.Ordinal) ? 0f : 0.01f;
            for (var i = 0; i < t.Length; i++, k++)
            {
                t.Data[i] = (t.Data[i] * (1f + (0.2f * MathF.Sin(k)))) + (offset * MathF.Cos(k));
            }
        }
    }

    private static Tensor SamplesFor(Network network, int count = 256)
    {
        var (x, _) = TestData();
        var per = network.InputShape.Aggregate(1, (a, d) => a * d);
        return new Tensor(x.Data.AsSpan(0, count * per).ToArray(), [count, .. network.InputShape]);
    }

    private static float[] EngineOutput(Network network, Tensor x, string? outputActivation)
    {
        using var _ = Tensor.NoGrad();
        var logits = network.Forward(x);
        return outputActivation == "LogSoftmax" ? LogSoftmax(logits) : logits.Data;
    }
}

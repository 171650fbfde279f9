using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using Serilog.Core;
using static CimHil.Simulation.Tests.Onnx.OnnxFixtures;

namespace CimHil.Simulation.Tests.Onnx;

/// <summary>The trainer fine-tunes an imported graph (robustness methods included), and the result is written as ONNX.</summary>
public sealed class OnnxFineTuningTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cimhil-onnx-finetune-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("residual-cnn", RobustnessMethods.Noise, false)]
    [InlineData("residual-cnn", RobustnessMethods.Rcn, true)]
    [InlineData("depthwise-separable", RobustnessMethods.Hessian, false)]
    [InlineData("mlp", RobustnessMethods.Atrice, false)]
    public async Task FineTunedImportedGraph_ChangesItsWeights_AndRunsInOnnxRuntimeWithTheEngineLogits(string name, string method, bool fold)
    {
        var imported = await OnnxImporter.LoadAsync(PathOf(name), new OnnxImportOptions { FoldBatchNorm = fold });
        var network = imported.Network;
        var before = network.NamedParameters().Select(p => (float[])p.Tensor.Data.Clone()).ToList();
        var (x, labels) = TestData();
        var per = network.InputShape.Aggregate(1, (a, d) => a * d);
        var data = new Dataset(x.Data, labels, [.. network.InputShape], network.ClassCount).Take(64);
        var options = new TrainerOptions { Epochs = 1, BatchSize = 32, Seed = 2, LearningRate = 1e-3f };
        var settings = new RobustnessSettings { SigmaRelative = 0.05, AdversarySteps = 1 };
        var trainer = new Trainer(options, Logger.None, RobustnessMethods.Create(method, settings, new CimMappingOptions(), options.Seed, Logger.None));

        var result = await trainer.TrainAsync(network, data, data);
        var written = Path.Combine(_folder, $"{name}-{method}.onnx");
        await OnnxWriter.WriteAsync(written, network, PathOf(name), fold, $"fine-tuned with {method}");

        Assert.NotNull(result.FinalTestAccuracy);
        Assert.Contains(network.NamedParameters().Zip(before), p => !p.First.Tensor.Data.AsSpan().SequenceEqual(p.Second));
        var input = new Tensor(x.Data.AsSpan(0, 64 * per).ToArray(), [64, .. network.InputShape]);
        float[] engine;
        using (Tensor.NoGrad())
        {
            var logits = network.Forward(input);
            engine = imported.OutputActivation == "LogSoftmax" ? LogSoftmax(logits) : logits.Data;
        }

        var ort = OnnxRuntimeOutput(written, input);
        Assert.True(MaxRelativeError(engine, ort) <= 1e-4, $"{name}/{method}: engine vs ONNX Runtime max relative error {MaxRelativeError(engine, ort):E2}");
        var reloaded = (await OnnxImporter.LoadAsync(written)).Network;
        Assert.Equal(network.Predict(input), reloaded.Predict(input));
    }
}

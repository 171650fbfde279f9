using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Tests.Robustness;
using CimHil.Simulation.Training;
using Serilog.Core;

namespace CimHil.Simulation.Tests.Engine;

/// <summary>Training to convergence: the validation split, early stopping with best-epoch restore, the learning-rate schedule.</summary>
public class ConvergenceTests
{
    [Fact]
    public void Carve_ValidationIsDisjointFromFitAndFromTheTestSet()
    {
        // Every image carries its identity in pixel 0: training images 0..499, test images 10 000..10 199.
        var train = Identified(500, first: 0);
        var test = Identified(200, first: 10_000);
        var split = ValidationSplit.Carve(train, 100, seed: 7);

        var fitIds = Ids(split.Fit);
        var validationIds = Ids(split.Validation);
        var testIds = Ids(test);
        Assert.Equal(100, validationIds.Count);
        Assert.Equal(400, fitIds.Count);
        Assert.Empty(fitIds.Intersect(validationIds));
        Assert.Empty(validationIds.Intersect(testIds));
        Assert.Empty(fitIds.Intersect(testIds));
        Assert.Equal(Enumerable.Range(0, 500), fitIds.Union(validationIds).Order());

        // The recorded indices are those of the images actually in each part, with their labels.
        Assert.Equal(split.ValidationIndices, validationIds.Order());
        Assert.Equal(split.FitIndices.Select(i => train.Labels[i]), split.Fit.Labels.ToArray());

        // Seeded: the same seed gives the same split, another seed another one.
        Assert.Equal(split.ValidationIndices, ValidationSplit.Carve(train, 100, seed: 7).ValidationIndices);
        Assert.NotEqual(split.ValidationIndices, ValidationSplit.Carve(train, 100, seed: 8).ValidationIndices);
    }

    [Fact]
    public void Train_WithValidation_StepsOnlyOnTheFitPart()
    {
        var train = Identified(300, first: 0);
        var test = Identified(100, first: 10_000);
        var options = new TrainerOptions { Epochs = 2, BatchSize = 25, ValidationSamples = 60, ValidationSeed = 3 };
        var recorder = new RecordingStandardMethod();
        new Trainer(options, Logger.None, recorder).Train(RobustnessTestModels.TwoLayer(1), train, test);

        var validation = ValidationSplit.Carve(train, 60, seed: 3).ValidationIndices.ToHashSet();
        Assert.Equal(2 * 240, recorder.Seen.Count);
        Assert.Equal(240, recorder.Seen.Distinct().Count());
        Assert.All(recorder.Seen, id => Assert.True(id < 300 && !validation.Contains(id), $"trained on image {id}, which is a validation or test image"));
    }

    [Fact]
    public void Carve_TooManyValidationSamples_NamesTheLimit()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Carve(Identified(10, 0), 10, 1));
        Assert.Contains("between 1 and 9", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { Patience = 2 }.Validate());
    }

    [Fact]
    public void EarlyStopping_ValidationPeaksEarly_StopsAfterPatienceAndRestoresTheBestEpoch()
    {
        var train = TrainingTests.SmallSynthetic(400, seed: 1);
        var test = TrainingTests.SmallSynthetic(100, seed: 2);
        var net = PyTorchFixtureTests.TinyNet();
        var progress = new List<TrainingProgress>();
        float[]? weightsAfterEpoch3 = null;
        var sink = new TrainingTests.SynchronousProgress(progress);
        var options = new TrainerOptions { Epochs = 10, BatchSize = 20, Seed = 1, LearningRate = 1e-2f, ValidationSamples = 100, Patience = 2 };

        // Honest labels for three epochs, then shifted labels: validation accuracy peaks at epoch 3 and then collapses.
        var method = new SabotagedAfter(3);
        var reporter = new Reporter(p =>
        {
            sink.Report(p);
            if (p.CompletedEpoch?.Epoch == 3)
            {
                weightsAfterEpoch3 = State(net);
            }
        });
        var result = new Trainer(options, Logger.None, method).Train(net, train, test, reporter);

        Assert.Equal(5, result.EpochsRun);
        Assert.Equal(3, result.BestEpoch);
        Assert.True(result.Epochs[2].ValidationAccuracy > 0.8, $"epoch 3 validation accuracy {result.Epochs[2].ValidationAccuracy}");
        Assert.True(result.Epochs[4].ValidationAccuracy < 0.5, $"epoch 5 validation accuracy {result.Epochs[4].ValidationAccuracy}");
        Assert.Equal(weightsAfterEpoch3, State(net));
        Assert.Equal(result.Epochs[2].TestAccuracy, result.FinalTestAccuracy);
        Assert.Equal(result.Epochs[2].TestAccuracy!.Value, Evaluator.Accuracy(net, test), 12);
        Assert.Equal(result.Epochs[2].ValidationAccuracy, result.BestValidationAccuracy);
    }

    [Fact]
    public void EarlyStopping_MethodWithWarmup_NeverKeepsAWarmupEpoch()
    {
        // The same honest-then-shifted run, but the honest epochs are the method's warm-up (as A-TRICE's noise-only
        // epochs are): their higher validation accuracy must not win. Before the fix the trainer returned epoch 3.
        var train = TrainingTests.SmallSynthetic(400, seed: 1);
        var test = TrainingTests.SmallSynthetic(100, seed: 2);
        var net = PyTorchFixtureTests.TinyNet();
        var options = new TrainerOptions { Epochs = 10, BatchSize = 20, Seed = 1, LearningRate = 1e-2f, ValidationSamples = 100, Patience = 2 };
        var result = new Trainer(options, Logger.None, new SabotagedAfter(3, firstSelectable: 4)).Train(net, train, test);

        Assert.True(result.Epochs[2].ValidationAccuracy > 0.8, $"epoch 3 validation accuracy {result.Epochs[2].ValidationAccuracy}");
        Assert.InRange(result.ReturnedEpoch, 4, result.EpochsRun);
        Assert.True(result.EpochsRun >= 6, $"patience counts from the first selectable epoch (4), so at least 6 epochs run; ran {result.EpochsRun}");
        var selectable = result.Epochs.Skip(3).Select(e => e.ValidationAccuracy!.Value).ToList();
        Assert.Equal(selectable.Max(), result.BestValidationAccuracy);
        Assert.Equal(result.FinalTestAccuracy!.Value, Evaluator.Accuracy(net, test), 12);
    }

    [Fact]
    public void EarlyStopping_BudgetEndsInsideTheWarmup_ReturnsTheLastEpoch()
    {
        var options = new TrainerOptions { Epochs = 2, BatchSize = 20, Seed = 1, LearningRate = 1e-2f, ValidationSamples = 100, Patience = 1 };
        var result = new Trainer(options, Logger.None, new SabotagedAfter(3, firstSelectable: 4))
            .Train(PyTorchFixtureTests.TinyNet(), TrainingTests.SmallSynthetic(400, seed: 1), null);
        Assert.Equal(2, result.EpochsRun);
        Assert.Equal(2, result.ReturnedEpoch);
    }

    [Fact]
    public void LearningRateAt_Cosine_IsHalfCosineOverTheEpochBudget()
    {
        var cosine = new TrainerOptions { Epochs = 4, LearningRate = 1e-3f, Schedule = LearningRateSchedule.Cosine };
        double[] expected = [1e-3, 1e-3 * (0.5 + (Math.Sqrt(2) / 4)), 0.5e-3, 1e-3 * (0.5 - (Math.Sqrt(2) / 4))];
        for (var e = 1; e <= 4; e++)
        {
            Assert.Equal(expected[e - 1], cosine.LearningRateAt(e), 9);
        }

        var decayed = new TrainerOptions { Epochs = 3, LearningRate = 0.1f, LearningRateDecay = 0.5f };
        Assert.Equal([0.1f, 0.05f, 0.025f], Enumerable.Range(1, 3).Select(decayed.LearningRateAt));
    }

    [Fact]
    public void Train_CosineSchedule_RecordsTheScheduledRatePerEpoch()
    {
        var options = new TrainerOptions { Epochs = 3, BatchSize = 50, LearningRate = 2e-3f, Schedule = LearningRateSchedule.Cosine };
        var result = new Trainer(options, Logger.None).Train(RobustnessTestModels.TwoLayer(2), Identified(100, 0), null);
        Assert.Equal([2e-3f, 1.5e-3f, 0.5e-3f], result.Epochs.Select(e => e.LearningRate), new FloatTolerance(1e-9f));
        Assert.Equal(3, result.ReturnedEpoch);
    }

    /// <summary>[1, 4, 4] images whose pixel 0 is the image's identity (first + index); other pixels and labels random.</summary>
    private static Dataset Identified(int count, int first)
    {
        var rng = new Random(first + count);
        var x = new float[count * 16];
        var y = new int[count];
        for (var n = 0; n < count; n++)
        {
            x[n * 16] = first + n;
            for (var i = 1; i < 16; i++)
            {
                x[(n * 16) + i] = (float)rng.NextDouble();
            }

            y[n] = rng.Next(4);
        }

        return new Dataset(x, y, [1, 4, 4], 4);
    }

    private static List<int> Ids(Dataset data) => [.. Enumerable.Range(0, data.Count).Select(i => (int)data.Batch([i]).Input.Data[0])];

    private static float[] State(Network net) => [.. net.NamedParameters().Concat(net.NamedBuffers()).SelectMany(p => p.Tensor.Data)];

    private sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }

    /// <summary>Standard training that records the identity pixel of every image it steps on.</summary>
    private sealed class RecordingStandardMethod : ITrainingMethod
    {
        public List<int> Seen { get; } = [];

        public string Name => "recording";

        public StepOutcome Step(TrainingBatch batch)
        {
            var per = batch.Input.Length / batch.Labels.Length;
            for (var n = 0; n < batch.Labels.Length; n++)
            {
                Seen.Add((int)batch.Input.Data[n * per]);
            }

            return TrainingSteps.ForwardBackward(batch, ForwardContext.Train);
        }
    }

    /// <summary>Standard training up to <paramref name="honestEpochs"/>, then every label shifted by one class.</summary>
    private sealed class SabotagedAfter(int honestEpochs, int firstSelectable = 1) : ITrainingMethod
    {
        public string Name => "sabotaged";

        public int FirstSelectableEpoch => firstSelectable;

        public StepOutcome Step(TrainingBatch batch) =>
            batch.Epoch <= honestEpochs
                ? TrainingSteps.ForwardBackward(batch, ForwardContext.Train)
                : TrainingSteps.ForwardBackward(batch with { Labels = [.. batch.Labels.Select(l => (l + 1) % batch.Network.ClassCount)] }, ForwardContext.Train);
    }
}

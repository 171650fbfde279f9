using System.Diagnostics;
using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using Serilog;

namespace CimHil.Simulation.Training;

/// <summary>
/// Mini-batch trainer: seeded shuffling, a pluggable <see cref="ITrainingMethod"/>, Adam or SGD, per-epoch test accuracy.
/// </summary>
public sealed class Trainer
{
    private readonly TrainerOptions _options;
    private readonly ILogger _logger;
    private readonly ITrainingMethod _method;

    /// <summary>Creates a trainer; <paramref name="method"/> defaults to <see cref="StandardTraining"/>.</summary>
    public Trainer(TrainerOptions options, ILogger logger, ITrainingMethod? method = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _options = options;
        _logger = logger.ForContext<Trainer>();
        _method = method ?? new StandardTraining();
    }

    /// <summary>Builds the configured optimizer over the network's parameters.</summary>
    public IOptimizer CreateOptimizer(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var p = network.Parameters();
        return _options.Optimizer == OptimizerKind.Adam
            ? new Adam(p, _options.LearningRate, weightDecay: _options.WeightDecay)
            : new Sgd(p, _options.LearningRate, _options.Momentum, _options.WeightDecay);
    }

    /// <summary>Trains <paramref name="network"/> in place (CPU-bound; runs on the thread pool).</summary>
    public Task<TrainingResult> TrainAsync(Network network, Dataset train, Dataset? test, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Train(network, train, test, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// Trains <paramref name="network"/> in place on the calling thread. With <see cref="TrainerOptions.ValidationSamples"/>
    /// the training set is split (<see cref="ValidationSplit.Carve"/>), each epoch is judged on the validation part, training
    /// stops after <see cref="TrainerOptions.Patience"/> epochs without improvement, and the best epoch's weights are
    /// restored. Only epochs from <see cref="ITrainingMethod.FirstSelectableEpoch"/> on are candidates and count toward
    /// patience (a warm-up is never kept); when the budget ends before that epoch, the last epoch's weights stand.
    /// The test set is only reported, never used for a decision.
    /// </summary>
    public TrainingResult Train(Network network, Dataset train, Dataset? test, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        Gemm.LogBackendOnce(_logger);
        Dataset? validation = null;
        if (_options.ValidationSamples > 0)
        {
            var split = ValidationSplit.Carve(train, _options.ValidationSamples, _options.ValidationSeed);
            (train, validation) = (split.Fit, split.Validation);
        }

        var optimizer = CreateOptimizer(network);
        var rng = new Random(_options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var steps = (train.Count + _options.BatchSize - 1) / _options.BatchSize;
        var epochs = new List<EpochResult>();
        var total = Stopwatch.StartNew();
        _logger.Information(
            "Training {Architecture} ({Parameters} parameters) with {Method}: up to {Epochs} epochs (patience {Patience}), batch {BatchSize}, {Optimizer} lr {LearningRate} ({Schedule}), {Samples} samples, {Validation} validation samples",
            network.Architecture, network.ParameterCount, _method.Name, _options.Epochs, _options.Patience, _options.BatchSize, _options.Optimizer, _options.LearningRate, _options.Schedule, train.Count, validation?.Count ?? 0);
        var firstSelectable = Math.Max(1, _method.FirstSelectableEpoch);
        var bestEpoch = 0;
        var bestValidation = double.NegativeInfinity;
        float[][]? bestState = null;
        for (var epoch = 1; epoch <= _options.Epochs; epoch++)
        {
            var sw = Stopwatch.StartNew();
            optimizer.LearningRate = _options.LearningRateAt(epoch);
            rng.Shuffle(order);
            double lossSum = 0;
            long correct = 0;
            for (var step = 0; step < steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = step * _options.BatchSize;
                var n = Math.Min(_options.BatchSize, train.Count - start);
                var (x, y) = train.Batch(order.AsSpan(start, n));
                optimizer.ZeroGrad();
                var outcome = _method.Step(new TrainingBatch(network, x, y, epoch, step, rng));
                if (double.IsNaN(outcome.Loss) || double.IsInfinity(outcome.Loss))
                {
                    throw new InvalidOperationException($"Training diverged: loss {outcome.Loss} at epoch {epoch}, step {step} (learning rate {optimizer.LearningRate}).");
                }

                optimizer.Step();
                _method.AfterUpdate(network);
                lossSum += outcome.Loss * n;
                correct += outcome.Correct;
                if (step < steps - 1)
                {
                    progress?.Report(new TrainingProgress(epoch, _options.Epochs, step + 1, steps, lossSum / (start + n), null));
                }
            }

            var trainSeconds = sw.Elapsed.TotalSeconds;
            double? testAcc = null, testLoss = null, validationAcc = null;
            if (test is not null)
            {
                (var acc, var tl) = Evaluator.Evaluate(network, test, _options.EvaluationBatchSize);
                (testAcc, testLoss) = (acc, tl);
            }

            if (validation is not null)
            {
                validationAcc = Evaluator.Accuracy(network, validation, _options.EvaluationBatchSize);
                if (epoch >= firstSelectable && validationAcc > bestValidation)
                {
                    (bestValidation, bestEpoch) = (validationAcc.Value, epoch);
                    bestState = Snapshot(network, bestState);
                }
            }

            var result = new EpochResult(epoch, lossSum / train.Count, (double)correct / train.Count, testAcc, testLoss, trainSeconds, optimizer.LearningRate, validationAcc);
            epochs.Add(result);
            _logger.Information(
                "Epoch {Epoch}/{Epochs}: train loss {TrainLoss:F4}, train accuracy {TrainAccuracy:P2}, validation accuracy {ValidationAccuracy:P2}, test accuracy {TestAccuracy:P2}, lr {LearningRate}, {EpochSeconds:F1} s",
                epoch, _options.Epochs, result.TrainLoss, result.TrainAccuracy, validationAcc, testAcc, optimizer.LearningRate, trainSeconds);
            progress?.Report(new TrainingProgress(epoch, _options.Epochs, steps, steps, result.TrainLoss, result));
            if (_options.Patience > 0 && epoch - Math.Max(bestEpoch, firstSelectable - 1) >= _options.Patience)
            {
                _logger.Information("Early stopping after epoch {Epoch}: no better validation accuracy than epoch {BestEpoch}'s {Best:P2} for {Patience} epochs", epoch, bestEpoch, bestValidation, _options.Patience);
                break;
            }
        }

        if (bestState is not null && bestEpoch != epochs.Count)
        {
            Restore(network, bestState);
            _logger.Information("Restored the weights of epoch {BestEpoch} (validation accuracy {Best:P2})", bestEpoch, bestValidation);
        }

        return new TrainingResult(_method.Name, epochs, total.Elapsed.TotalSeconds, bestEpoch);
    }

    // Parameters and buffers (BatchNorm running statistics) in Network order; the buffers reused between snapshots.
    private static float[][] Snapshot(Network network, float[][]? into)
    {
        var tensors = network.NamedParameters().Concat(network.NamedBuffers()).Select(p => p.Tensor).ToList();
        into ??= [.. tensors.Select(t => new float[t.Length])];
        for (var i = 0; i < tensors.Count; i++)
        {
            tensors[i].Data.AsSpan(0, tensors[i].Length).CopyTo(into[i]);
        }

        return into;
    }

    private static void Restore(Network network, float[][] state)
    {
        var tensors = network.NamedParameters().Concat(network.NamedBuffers()).Select(p => p.Tensor).ToList();
        for (var i = 0; i < tensors.Count; i++)
        {
            state[i].CopyTo(tensors[i].Data, 0);
        }
    }
}

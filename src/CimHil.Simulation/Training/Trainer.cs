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

    /// <summary>Trains <paramref name="network"/> in place on the calling thread.</summary>
    public TrainingResult Train(Network network, Dataset train, Dataset? test, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        Gemm.LogBackendOnce(_logger);
        var optimizer = CreateOptimizer(network);
        var rng = new Random(_options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var steps = (train.Count + _options.BatchSize - 1) / _options.BatchSize;
        var epochs = new List<EpochResult>();
        var total = Stopwatch.StartNew();
        _logger.Information(
            "Training {Architecture} ({Parameters} parameters) with {Method}: {Epochs} epochs, batch {BatchSize}, {Optimizer} lr {LearningRate}, {Samples} samples",
            network.Architecture, network.ParameterCount, _method.Name, _options.Epochs, _options.BatchSize, _options.Optimizer, _options.LearningRate, train.Count);
        for (var epoch = 1; epoch <= _options.Epochs; epoch++)
        {
            var sw = Stopwatch.StartNew();
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
            double? testAcc = null, testLoss = null;
            if (test is not null)
            {
                var (acc, tl) = Evaluator.Evaluate(network, test, _options.EvaluationBatchSize);
                testAcc = acc;
                testLoss = tl;
            }

            var result = new EpochResult(epoch, lossSum / train.Count, (double)correct / train.Count, testAcc, testLoss, trainSeconds, optimizer.LearningRate);
            epochs.Add(result);
            _logger.Information(
                "Epoch {Epoch}/{Epochs}: train loss {TrainLoss:F4}, train accuracy {TrainAccuracy:P2}, test accuracy {TestAccuracy:P2}, {EpochSeconds:F1} s",
                epoch, _options.Epochs, result.TrainLoss, result.TrainAccuracy, testAcc, trainSeconds);
            progress?.Report(new TrainingProgress(epoch, _options.Epochs, steps, steps, result.TrainLoss, result));
            optimizer.LearningRate *= _options.LearningRateDecay;
        }

        return new TrainingResult(_method.Name, epochs, total.Elapsed.TotalSeconds);
    }
}

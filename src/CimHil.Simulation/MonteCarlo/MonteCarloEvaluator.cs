using System.Collections.Immutable;
using System.Diagnostics;
using CimHil.Core.Devices;
using CimHil.Core.Numerics;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.MonteCarlo;

/// <summary>Settings of a Monte-Carlo run.</summary>
public sealed record MonteCarloOptions
{
    /// <summary>Number of simulated chips.</summary>
    public int Chips { get; init; } = 100;

    /// <summary>Run seed; chip i uses the stream derived from (Seed, i).</summary>
    public long Seed { get; init; } = 1;

    /// <summary>The k of the reported k-th percentile accuracy (worst k % of chips).</summary>
    public double Percentile { get; init; } = 1;

    /// <summary>Images per forward pass (larger batches mean larger, more efficient GEMMs).</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>Bootstrap resamples for the confidence intervals.</summary>
    public int BootstrapResamples { get; init; } = 2000;

    /// <summary>Confidence level of the intervals.</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Worker threads (chips, or batches when there are fewer chips than workers).</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Checks the settings.</summary>
    public MonteCarloOptions Validate()
    {
        if (Chips < 1 || BatchSize < 1 || MaxDegreeOfParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MonteCarloOptions), $"chips {Chips}, batch size {BatchSize} and parallelism {MaxDegreeOfParallelism} must all be ≥ 1");
        }

        if (!(Percentile >= 0 && Percentile <= 100) || !(ConfidenceLevel > 0 && ConfidenceLevel < 1) || BootstrapResamples < 10)
        {
            throw new ArgumentOutOfRangeException(nameof(MonteCarloOptions), $"percentile {Percentile} must lie in [0, 100], confidence level {ConfidenceLevel} in (0, 1), bootstrap resamples {BootstrapResamples} ≥ 10");
        }

        return this;
    }
}

/// <summary>
/// Progress of a Monte-Carlo run, one event per finished chip: chips finished so far (1, 2, … in the order the events
/// arrive), which chip finished and its accuracy, and the seconds since the chips started (an ETA is
/// <c>ElapsedSeconds · (ChipsTotal − ChipsDone) / ChipsDone</c>).
/// </summary>
public sealed record MonteCarloProgress(int ChipsDone, int ChipsTotal, int ChipIndex, double ChipAccuracy, double ElapsedSeconds);

/// <summary>Accuracy distribution over simulated chips.</summary>
public sealed record MonteCarloResult
{
    /// <summary>Accuracy (fraction correct) of each chip, by chip index.</summary>
    public required ImmutableArray<double> ChipAccuracies { get; init; }

    /// <summary>Accuracy of the mapped network without variation (quantised weights, same periphery).</summary>
    public required double NominalAccuracy { get; init; }

    /// <summary>Mean over chips.</summary>
    public required double Mean { get; init; }

    /// <summary>Sample standard deviation over chips (n − 1).</summary>
    public required double StandardDeviation { get; init; }

    /// <summary>Worst chip.</summary>
    public required double Minimum { get; init; }

    /// <summary>The k of the percentile.</summary>
    public required double PercentileK { get; init; }

    /// <summary>k-th percentile accuracy.</summary>
    public required double Percentile { get; init; }

    /// <summary>Bootstrap interval of the mean.</summary>
    public required Interval MeanInterval { get; init; }

    /// <summary>Bootstrap interval of the k-th percentile.</summary>
    public required Interval PercentileInterval { get; init; }

    /// <summary>Confidence level of both intervals.</summary>
    public required double ConfidenceLevel { get; init; }

    /// <summary>Test images per chip.</summary>
    public required int Images { get; init; }

    /// <summary>Variation description.</summary>
    public required string Variation { get; init; }

    /// <summary>Seed of the run.</summary>
    public required long Seed { get; init; }

    /// <summary>Wall time of the chip loop.</summary>
    public required double ElapsedSeconds { get; init; }

    /// <summary>Throughput of the chip loop: images × chips per second.</summary>
    public double ImageChipsPerSecond => ElapsedSeconds > 0 ? (double)Images * ChipAccuracies.Length / ElapsedSeconds : 0;
}

/// <summary>
/// Monte-Carlo evaluation: N chips programmed with independent variation, each evaluated on the whole test set with batched
/// forwards. Deterministic for a seed whatever the thread count: every random draw comes from a stream derived from
/// (seed, chip[, batch]) and per-chip results are integer counts stored by index.
/// </summary>
public sealed class MonteCarloEvaluator
{
    private readonly CrossbarForward? _crossbar;
    private readonly InferencePlan? _plan;
    private readonly System.Collections.Concurrent.ConcurrentBag<InferenceWorkspace> _workspaces = [];

    /// <summary>Prepares the evaluation of <paramref name="mapped"/> under <paramref name="variation"/>.</summary>
    public MonteCarloEvaluator(MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options)
        : this(mapped, variation, options, null)
    {
    }

    /// <summary>
    /// As above, with the chips evaluated by <paramref name="backend"/> (the GPU) when it is given; the nominal accuracy stays
    /// on the CPU. The evaluator does not own the backend.
    /// </summary>
    public MonteCarloEvaluator(MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options, IChipBatchBackend? backend)
    {
        Backend = backend;
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(variation);
        ArgumentNullException.ThrowIfNull(options);
        Mapped = mapped;
        Variation = variation;
        Options = options.Validate();
        if (mapped.Options.NeedsTiledForward)
        {
            var ranges = mapped.Ranges ?? throw new InvalidOperationException("The mapping uses DAC/ADC quantisation: call MappedNetwork.CalibratePeriphery before evaluating.");
            _crossbar = new CrossbarForward(mapped, ranges);
        }
        else
        {
            _plan = InferencePlan.TryCompile(mapped.Network);
        }
    }

    /// <summary>True when the allocation-free chunked inference path is used (plain feed-forward networks, no converters).</summary>
    public bool UsesFastPath => _plan is not null;

    /// <summary>The mapped network.</summary>
    public MappedNetwork Mapped { get; }

    /// <summary>The device the chips run on, or null for the CPU.</summary>
    public IChipBatchBackend? Backend { get; }

    /// <summary>The variation of every chip.</summary>
    public VariationSpec Variation { get; }

    /// <summary>The settings.</summary>
    public MonteCarloOptions Options { get; }

    /// <summary>Accuracy of one chip on the test set (batches in order; parallel over batches when <paramref name="parallel"/>).</summary>
    public double EvaluateChip(SimulatedChip chip, TestSet data, bool parallel = false)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(data);
        var correct = new int[data.Batches.Count];
        var workers = parallel ? Math.Min(Options.MaxDegreeOfParallelism, data.Batches.Count) : 1;
        float[][]? shared = null;
        if (!chip.VariesPerBatch && _crossbar is null)
        {
            shared = NewWeightBuffers();
            chip.EffectiveWeights(0, shared);
        }

        // Always single-threaded OpenBLAS, whatever the worker count: one worker per core already, and OpenBLAS's result
        // depends on its thread count (see EvaluateChips).
        using var blas = Gemm.SingleThreaded();

        // Fixed partitioning: worker w takes batches w, w + workers, …; counts are stored per batch.
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var buffers = shared ?? NewWeightBuffers();
            InferenceWorkspace? ws = null;
            if (_plan is not null)
            {
                ws = _workspaces.TryTake(out var pooled) ? pooled : _plan.CreateWorkspace();
                if (shared is not null)
                {
                    _plan.PrepareWeights(ws, shared);
                }
            }

            for (var b = w; b < data.Batches.Count; b += workers)
            {
                correct[b] = CountCorrect(chip, data, b, buffers, shared is not null, ws);
            }

            if (ws is not null)
            {
                _workspaces.Add(ws);
            }
        });

        return (double)correct.Sum() / data.Count;
    }

    /// <summary>Accuracy of the mapped network with no variation (the quantisation-only reference).</summary>
    public double EvaluateNominal(TestSet data) =>
        EvaluateChip(SimulatedChip.Program(Mapped, VariationSpec.None, Options.Seed, 0), data, parallel: true);

    /// <summary>Runs the Monte-Carlo loop and summarises the accuracy distribution.</summary>
    public MonteCarloResult Run(TestSet data, IProgress<MonteCarloProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var nominal = EvaluateNominal(data);
        var sw = Stopwatch.StartNew();
        var accuracies = EvaluateChips(data, 0, Options.Chips, progress, cancellationToken);
        sw.Stop();
        return Summarise(accuracies, nominal, data.Count, sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Accuracies of chips <paramref name="firstChip"/> … <paramref name="firstChip"/> + <paramref name="count"/> − 1 of
    /// the run, in chip order. Chip c is programmed from the stream of (seed, c) whatever else is evaluated, so a run cut
    /// into chip ranges (a Slurm shard each) gives the same accuracies as one process.
    /// </summary>
    public double[] EvaluateChips(TestSet data, int firstChip, int count, IProgress<MonteCarloProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(firstChip);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (Backend is not null)
        {
            return Backend.EvaluateChips(data, firstChip, count, progress, cancellationToken);
        }

        var accuracies = new double[count];
        var done = 0;
        var gate = new Lock();
        var sw = Stopwatch.StartNew();
        // OpenBLAS runs single-threaded inside the chips (restored afterwards), also with one worker: its sgemm result depends
        // on its thread count (measured with Debian's 0.3.21, DYNAMIC_ARCH: 84×32×120, LeNet-5's fc2 on a 32-image chunk,
        // differs in 113 of 2688 elements between 1 and 2 threads), so a run with one worker under the default count would
        // give other chip accuracies than the same seed with two workers.
        using var blas = Gemm.SingleThreaded();
        if (count >= Options.MaxDegreeOfParallelism)
        {
            var workers = Options.MaxDegreeOfParallelism;
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, w =>
            {
                for (var i = w; i < count; i += workers)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var c = firstChip + i;
                    accuracies[i] = EvaluateChip(SimulatedChip.Program(Mapped, Variation, Options.Seed, c), data);
                    if (progress is not null)
                    {
                        // Count and report under one lock, so the done counts a watcher sees run 1, 2, … N in order.
                        lock (gate)
                        {
                            progress.Report(new MonteCarloProgress(++done, count, c, accuracies[i], sw.Elapsed.TotalSeconds));
                        }
                    }
                }
            });
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var c = firstChip + i;
                accuracies[i] = EvaluateChip(SimulatedChip.Program(Mapped, Variation, Options.Seed, c), data, parallel: true);
                progress?.Report(new MonteCarloProgress(++done, count, c, accuracies[i], sw.Elapsed.TotalSeconds));
            }
        }

        return accuracies;
    }

    /// <summary>Summary statistics and bootstrap intervals of per-chip accuracies.</summary>
    public MonteCarloResult Summarise(double[] accuracies, double nominal, int images, double elapsedSeconds) =>
        Summarise(accuracies, nominal, images, Options, Variation.Describe(), elapsedSeconds);

    /// <summary>
    /// Summary statistics and bootstrap intervals of per-chip accuracies (chip order), as <see cref="Run"/> computes them;
    /// also the merge of a run's shards, which holds accuracies but no mapped network.
    /// </summary>
    public static MonteCarloResult Summarise(double[] accuracies, double nominal, int images, MonteCarloOptions options, string variation, double elapsedSeconds)
    {
        ArgumentNullException.ThrowIfNull(accuracies);
        ArgumentNullException.ThrowIfNull(options);
        var sorted = (double[])accuracies.Clone();
        Array.Sort(sorted);
        var mean = sorted.Average();
        var sd = sorted.Length > 1 ? Math.Sqrt(sorted.Sum(a => (a - mean) * (a - mean)) / (sorted.Length - 1)) : 0;
        return new MonteCarloResult
        {
            ChipAccuracies = [.. accuracies],
            NominalAccuracy = nominal,
            Mean = mean,
            StandardDeviation = sd,
            Minimum = sorted[0],
            PercentileK = options.Percentile,
            Percentile = OrderStatistics.Percentile(sorted, options.Percentile),
            MeanInterval = Bootstrap.Interval(accuracies, Bootstrap.Mean, options.BootstrapResamples, options.ConfidenceLevel, options.Seed),
            PercentileInterval = Bootstrap.Interval(accuracies, Bootstrap.PercentileStatistic(options.Percentile), options.BootstrapResamples, options.ConfidenceLevel, options.Seed + 1),
            ConfidenceLevel = options.ConfidenceLevel,
            Images = images,
            Variation = variation,
            Seed = options.Seed,
            ElapsedSeconds = elapsedSeconds,
        };
    }

    private float[][] NewWeightBuffers() => Mapped.Layers.Select(l => new float[l.OutputCount * l.FanIn]).ToArray();

    private int CountCorrect(SimulatedChip chip, TestSet data, int batch, float[][] buffers, bool buffersReady, InferenceWorkspace? ws)
    {
        if (_plan is not null && ws is not null)
        {
            if (!buffersReady)
            {
                chip.EffectiveWeights(batch, buffers);
                _plan.PrepareWeights(ws, buffers);
            }

            return _plan.CountCorrect(ws, data.Batches[batch], data.BatchLabels(batch));
        }

        Nn.ForwardContext ctx;
        if (_crossbar is not null)
        {
            ctx = _crossbar.Context(chip.SliceWeights(batch), chip.OutputFactors.ToArray());
        }
        else
        {
            if (!buffersReady)
            {
                chip.EffectiveWeights(batch, buffers);
            }

            ctx = Mapped.WeightContext(buffers);
        }

        var predicted = Mapped.Network.Predict(data.Batches[batch], ctx);
        var labels = data.BatchLabels(batch);
        var correct = 0;
        for (var i = 0; i < predicted.Length; i++)
        {
            if (predicted[i] == labels[i])
            {
                correct++;
            }
        }

        return correct;
    }
}

/// <summary>A labelled test set cut once into fixed batches (no per-image or per-chip copies).</summary>
public sealed class TestSet
{
    private readonly int[] _labels;
    private readonly int _batchSize;

    /// <summary>Splits images [N, …] and labels [N] into batches of <paramref name="batchSize"/>.</summary>
    public TestSet(Tensor images, IReadOnlyList<int> labels, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Dim(0) != labels.Count || batchSize < 1)
        {
            throw new ArgumentException($"Test set: {images.Dim(0)} images but {labels.Count} labels (batch size {batchSize}).");
        }

        _labels = labels.ToArray();
        _batchSize = batchSize;
        var n = images.Dim(0);
        var per = images.Length / Math.Max(1, n);
        var shape = images.ShapeArray();
        var batches = new List<Tensor>();
        for (var start = 0; start < n; start += batchSize)
        {
            var count = Math.Min(batchSize, n - start);
            shape[0] = count;
            batches.Add(Tensor.FromArray(images.Data.AsSpan(start * per, count * per), shape));
        }

        Batches = batches;
    }

    /// <summary>The whole data set cut into batches of <paramref name="batchSize"/>.</summary>
    public static TestSet FromDataset(Data.Dataset dataset, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var all = dataset.Batch(Enumerable.Range(0, dataset.Count).ToArray());
        return new TestSet(all.Input, all.Labels, batchSize);
    }

    /// <summary>Number of images.</summary>
    public int Count => _labels.Length;

    /// <summary>The image batches in order.</summary>
    public IReadOnlyList<Tensor> Batches { get; }

    /// <summary>Labels of batch <paramref name="batch"/>.</summary>
    public ReadOnlySpan<int> BatchLabels(int batch) => _labels.AsSpan(batch * _batchSize, Batches[batch].Dim(0));
}

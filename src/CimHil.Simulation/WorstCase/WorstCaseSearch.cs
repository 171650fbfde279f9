using System.Collections.Immutable;
using System.Diagnostics;
using CimHil.Core.Numerics;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;
using Serilog;

namespace CimHil.Simulation.WorstCase;

/// <summary>
/// Finds the device deviations inside a box |Δg_i| ≤ k·σ_i that minimise the test accuracy of a mapped network
/// (Yan, Hu &amp; Shi, "Computing-In-Memory Neural Network Accelerators for Safety-Critical Systems: Can Small Device
/// Variations Be Disastrous?", ICCAD 2022). Gradients reach the devices by the chain rule through the mapping's linear
/// decode: ∂L/∂Δg⁺_s = c_s·∂L/∂W, ∂L/∂Δg⁻_s = −c_s·∂L/∂W (<see cref="MappedLayer.ConductanceGradient"/>).
/// </summary>
public sealed class WorstCaseSearch
{
    private readonly ILogger _logger;
    private readonly LayerConductances[] _targets;

    /// <summary>Prepares searches of <paramref name="forward"/>'s mapped network under <paramref name="bounds"/>.</summary>
    /// <param name="forward">The CPU's mapped forward: the clean chip, κ and every bound's final accuracy come from it.</param>
    /// <param name="bounds">Where the per-device σ_i come from.</param>
    /// <param name="options">The search settings.</param>
    /// <param name="logger">Receives one line per bound.</param>
    /// <param name="passes">
    /// Computes the search's gradient and exact passes (e.g. on the GPU); null: <paramref name="forward"/>. Only used without
    /// converters; the kept Δ is always re-evaluated by <paramref name="forward"/>, so the reported accuracy is the CPU's.
    /// </param>
    public WorstCaseSearch(MappedForward forward, DeviceBoundModel bounds, WorstCaseOptions options, ILogger logger, IWorstCasePasses? passes = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(bounds);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        Forward = forward;
        Passes = forward.HasConverters ? forward : passes ?? forward;
        Descent = !forward.HasConverters && passes is IWorstCaseDescent resident ? resident : new HostDescent(forward, Passes);
        Bounds = bounds;
        Options = options.Validate();
        _logger = logger.ForContext<WorstCaseSearch>();
        UnitBounds = bounds.UnitBounds(forward.Mapped);
        _targets = forward.Mapped.Layers.Select(l => l.Targets).ToArray();
        var clean = forward.Evaluate(_targets, 0, double.PositiveInfinity);
        CleanAccuracy = clean.Accuracy;
        var positive = clean.Margins.Where(m => m > 0).Select(m => (double)m).Order().ToArray();
        Kappa = positive.Length == 0 ? 0 : options.KappaRelative * OrderStatistics.UpperMedian(positive);
    }

    /// <summary>The deterministic mapped forward.</summary>
    public MappedForward Forward { get; }

    /// <summary>What computes the search's passes (<see cref="Forward"/> unless another device was given).</summary>
    public IWorstCasePasses Passes { get; }

    /// <summary>
    /// What runs each start's steps: the pass object itself when it keeps the search state on its device
    /// (<see cref="IWorstCaseDescent"/>), else the CPU's loop over <see cref="Passes"/>.
    /// </summary>
    public IWorstCaseDescent Descent { get; }

    /// <summary>Where the per-device σ_i come from.</summary>
    public DeviceBoundModel Bounds { get; }

    /// <summary>The search settings.</summary>
    public WorstCaseOptions Options { get; }

    /// <summary>σ_i per device (k = 1), siemens.</summary>
    public IReadOnlyList<LayerConductances> UnitBounds { get; }

    /// <summary>Accuracy of the mapped network at Δ = 0.</summary>
    public double CleanAccuracy { get; }

    /// <summary>κ of the objective in logit units (KappaRelative × median positive margin of the clean chip).</summary>
    public double Kappa { get; }

    /// <summary>The box for multiplier <paramref name="k"/>.</summary>
    public PerturbationBox Box(double k) => PerturbationBox.Create(Forward.Mapped, UnitBounds, k, Bounds.RespectsZeroConductance);

    /// <summary>
    /// Searches the box of multiplier <paramref name="k"/>; the first start is <paramref name="warmStart"/> (projected onto the
    /// box; zero when null), further starts are uniformly random points of the box. Returns the best Δ seen, re-evaluated.
    /// </summary>
    public WorstCaseRun Search(double k, ConductancePerturbation? warmStart = null, CancellationToken cancellationToken = default) =>
        Search(k, warmStart, null, cancellationToken);

    /// <summary>Gradient steps one search takes: (steps + 1) per start (the last one only evaluates).</summary>
    public long StepsPerSearch => (long)(Options.Restarts + 1) * (Options.Steps + 1);

    /// <summary>As <see cref="Search(double, ConductancePerturbation?, CancellationToken)"/>, calling <paramref name="onStep"/>(start, step, accuracy) after every gradient step.</summary>
    private WorstCaseRun Search(double k, ConductancePerturbation? warmStart, Action<int, int, double>? onStep, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var box = Box(k);
        var mapped = Forward.Mapped;
        var trace = ImmutableArray.CreateBuilder<WorstCaseTracePoint>();
        var rng = new SimulationRng(SimulationRng.Derive(Options.Seed, (long)BitConverter.DoubleToInt64Bits(k)));
        int gradientPasses = 0, forwardPasses = 0;

        var best = ConductancePerturbation.Zero(mapped);
        var bestCorrect = int.MaxValue;
        var beforePolishCorrect = int.MaxValue;
        var secondsToBest = 0.0;
        var current = ConductancePerturbation.Zero(mapped);
        var startBest = ConductancePerturbation.Zero(mapped);

        for (var start = 0; start <= Options.Restarts; start++)
        {
            if (start == 0)
            {
                warmStart?.CopyTo(current);
            }
            else
            {
                box.RandomPoint(rng, current);
            }

            box.Project(current);
            var trackedCorrect = int.MaxValue;
            var startSeconds = 0.0;
            var s0 = start;
            var descent = Descent.Descend(
                new DescentRequest
                {
                    Box = box,
                    Start = current,
                    Best = startBest,
                    StartIndex = start,
                    Kappa = Kappa,
                    Options = Options,
                    OnStep = (step, correct, loss) =>
                    {
                        trace.Add(new WorstCaseTracePoint(s0, step, (double)correct / Forward.Data.Count, loss, sw.Elapsed.TotalSeconds));
                        onStep?.Invoke(s0, step, (double)correct / Forward.Data.Count);
                        if (correct < trackedCorrect)
                        {
                            trackedCorrect = correct;
                            startSeconds = sw.Elapsed.TotalSeconds;
                        }
                    },
                },
                cancellationToken);
            gradientPasses += descent.GradientPasses;
            forwardPasses += descent.ForwardPasses;
            var startCorrect = descent.Correct;
            var upper = descent.Upper;

            beforePolishCorrect = Math.Min(beforePolishCorrect, startCorrect);
            if (Options.PolishEvaluations > 0 && k > 0)
            {
                // Each start's end point gets its own local search: on small problems the starts end in different basins.
                var polish = new GreedyPolish(Forward, Passes, Options, Kappa, box, startBest, upper).Run(cancellationToken);
                gradientPasses += polish.GradientPasses;
                forwardPasses += polish.ForwardPasses;
                startCorrect = polish.Correct;
                if (polish.Improved)
                {
                    startSeconds = sw.Elapsed.TotalSeconds;
                }
            }

            if (startCorrect < bestCorrect)
            {
                bestCorrect = startCorrect;
                startBest.CopyTo(best);
                secondsToBest = startSeconds;
            }

            _logger.Debug("Worst case k={K} start {Start}: {StartCorrect}/{Images} correct, best {Correct} so far", k, start, startCorrect, Forward.Data.Count, bestCorrect);
        }

        var beforePolish = (double)beforePolishCorrect / Forward.Data.Count;
        var verified = Forward.Evaluate(best.ApplyTo(mapped), 0, double.PositiveInfinity);
        forwardPasses++;
        sw.Stop();
        _logger.Information(
            "Worst case k={K} ({Method}): accuracy {Accuracy:P2} (clean {Clean:P2}), {GradientPasses} gradient and {ForwardPasses} forward passes, {Seconds:F1} s",
            k, Options.Name, verified.Accuracy, CleanAccuracy, gradientPasses, forwardPasses, sw.Elapsed.TotalSeconds);
        return new WorstCaseRun
        {
            K = k,
            Accuracy = verified.Accuracy,
            Correct = verified.Correct,
            Images = verified.Total,
            AccuracyBeforePolish = beforePolish,
            Delta = best,
            GradientPasses = gradientPasses,
            ForwardPasses = forwardPasses,
            Seconds = sw.Elapsed.TotalSeconds,
            SecondsToBest = secondsToBest,
            Trace = trace.ToImmutable(),
        };
    }

    /// <summary>
    /// The accuracy-versus-bound curve for ascending <paramref name="ks"/>. Each bound's search starts from the previous
    /// bound's Δ (still feasible, since the boxes are nested) and the reported accuracy is the minimum over everything found
    /// up to that bound, so the curve is non-increasing by construction. <paramref name="save"/>, when given, is called with
    /// each point's k and Δ and returns the path it wrote (or null).
    /// </summary>
    public Task<IReadOnlyList<WorstCaseBoundResult>> SweepAsync(IReadOnlyList<double> ks, Func<double, ConductancePerturbation, double, CancellationToken, Task<string?>>? save = null, CancellationToken cancellationToken = default) =>
        SweepAsync(ks, save, null, cancellationToken);

    /// <summary>As <see cref="SweepAsync(IReadOnlyList{double}, Func{double, ConductancePerturbation, double, CancellationToken, Task{string}}?, CancellationToken)"/>, telling <paramref name="progress"/> every gradient step and every finished bound, on the searching thread.</summary>
    /// <param name="ks">The bound multipliers (any order; duplicates count once).</param>
    /// <param name="save">Writes a point's Δ and returns its path, or null.</param>
    /// <param name="progress">Where the <see cref="WorstCaseProgress"/> events go, or null.</param>
    /// <param name="cancellationToken">Stops the sweep between gradient steps.</param>
    public async Task<IReadOnlyList<WorstCaseBoundResult>> SweepAsync(
        IReadOnlyList<double> ks, Func<double, ConductancePerturbation, double, CancellationToken, Task<string?>>? save, IProgress<WorstCaseProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ks);
        var ordered = ks.Distinct().Order().ToArray();
        var points = new List<WorstCaseBoundResult>();
        var bestDelta = ConductancePerturbation.Zero(Forward.Mapped);
        var bestAccuracy = CleanAccuracy;
        var sw = Stopwatch.StartNew();
        var stepsTotal = ordered.Count(k => k > 0) * StepsPerSearch;
        var stepsBefore = 0L;
        for (var bound = 0; bound < ordered.Length; bound++)
        {
            var k = ordered[bound];
            WorstCaseRun? run = null;
            var fromSmaller = false;
            var searchAccuracy = CleanAccuracy;
            if (k > 0)
            {
                var (b, before) = (bound, stepsBefore);
                Action<int, int, double>? onStep = progress is null ? null : (start, step, accuracy) =>
                    progress.Report(new WorstCaseProgress(k, b, ordered.Length, start, step, before + ((long)start * (Options.Steps + 1)) + step + 1, stepsTotal, accuracy, false, sw.Elapsed.TotalSeconds));
                run = await Task.Run(() => Search(k, bestDelta, onStep, cancellationToken), cancellationToken).ConfigureAwait(false);
                stepsBefore += StepsPerSearch;
                searchAccuracy = run.Accuracy;
                if (run.Accuracy <= bestAccuracy)
                {
                    bestAccuracy = run.Accuracy;
                    bestDelta = run.Delta;
                }
                else
                {
                    fromSmaller = true;
                }
            }

            var path = save is null ? null : await save(k, bestDelta, bestAccuracy, cancellationToken).ConfigureAwait(false);
            points.Add(new WorstCaseBoundResult
            {
                K = k,
                Accuracy = bestAccuracy,
                SearchAccuracy = searchAccuracy,
                FromSmallerBound = fromSmaller,
                MaxNormalisedDeviation = bestDelta.MaxNormalised(UnitBounds),
                PerturbationPath = path,
                Run = run,
            });
            progress?.Report(new WorstCaseProgress(k, bound, ordered.Length, -1, -1, stepsBefore, stepsTotal, bestAccuracy, true, sw.Elapsed.TotalSeconds));
        }

        return points;
    }

    /// <summary>Accuracy of the chip holding targets + <paramref name="delta"/> (exact mapped forward, no read noise).</summary>
    public double AccuracyOf(ConductancePerturbation delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        return Forward.Accuracy(delta.ApplyTo(Forward.Mapped));
    }
}

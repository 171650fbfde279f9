using System.Diagnostics;

namespace CimHil.Workflows;

/// <summary>The Monte-Carlo and worst-case stages as run and study both run them: a network judged under one variation model.</summary>
public static class EvaluationStages
{
    /// <summary>
    /// Maps <paramref name="network"/>, calibrates the periphery on 1000 training images when the mapping has converters,
    /// and runs the Monte-Carlo evaluation on <paramref name="test"/>, reporting chips done as stage <paramref name="stage"/>;
    /// the chips run where <paramref name="backends"/> says (null: the CPU).
    /// </summary>
    public static async Task<MonteCarloSummary> MonteCarloSummaryAsync(
        Network network, CimMappingOptions mapping, VariationSpec variation, MonteCarloOptions options, Dataset test, string directory, string stage, IProgress<StageProgress> progress, CancellationToken ct,
        ChipBatchBackendFactory? backends = null)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(variation);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(progress);
        options.Validate();
        var mapped = MappedNetwork.Map(network, mapping, variation.Window);
        if (mapping.NeedsTiledForward)
        {
            var calibrationImages = (await FashionMnist.LoadSplitAsync(directory, "train", ct)).Take(1000);
            mapped.CalibratePeriphery(calibrationImages.Batch(Enumerable.Range(0, calibrationImages.Count).ToArray()).Input);
        }

        var sw = Stopwatch.StartNew();
        var reporter = new SynchronousProgress<MonteCarloProgress>(p => progress.Report(MonteCarloChipProgress.Of(stage, p)));
        using var backend = backends?.Invoke(mapped, variation, options);
        var r = new MonteCarloEvaluator(mapped, variation, options, backend).Run(TestSet.FromDataset(test, options.BatchSize), reporter, ct);
        return new MonteCarloSummary(r.NominalAccuracy, r.Mean, r.StandardDeviation, r.Minimum, r.PercentileK, r.Percentile, r.PercentileInterval, r.MeanInterval, r.ConfidenceLevel, r.Images, r.Variation, r.Seed, sw.Elapsed.TotalSeconds, r.ChipAccuracies);
    }

    /// <summary>
    /// The worst-case sweep over <paramref name="ks"/> on <paramref name="test"/> (no Monte-Carlo reference), Δ files under
    /// <paramref name="outputDirectory"/>, reporting every search step and bound as stage <paramref name="stage"/>; the search's
    /// passes run where <paramref name="passes"/> says (null: the CPU), the reported accuracies are the CPU's in any case.
    /// </summary>
    public static async Task<WorstCaseSummary> WorstCaseSummaryAsync(
        Network network, CimMappingOptions mapping, DeviceBoundModel bounds, WorstCaseOptions search, IReadOnlyList<double> ks, Dataset test, string outputDirectory, ILogger logger,
        string stage, IProgress<StageProgress> progress, CancellationToken ct, Func<MappedForward, IWorstCasePasses?>? passes = null)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(progress);
        var request = new WorstCaseRequest
        {
            Ks = ks,
            Bounds = bounds,
            Search = search,
            OutputDirectory = outputDirectory,
            MonteCarloChips = 0,
            SearchPasses = passes,
        };
        var reporter = new SynchronousProgress<WorstCaseProgress>(p => progress.Report(WorstCaseStepProgress.Of(stage, p)));
        var report = await WorstCaseEvaluation.RunAsync(network, mapping, TestSet.FromDataset(test, 1000), request, logger, reporter, null, ct);
        return new WorstCaseSummary(
            report.Method,
            report.Bound,
            report.CleanAccuracy,
            report.Images,
            report.Devices,
            [.. report.Points.Select(p => new WorstCaseSummaryPoint(p.K, p.Accuracy, p.PerturbationPath))],
            report.Seconds);
    }
}

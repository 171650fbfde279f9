using System.Globalization;
using CimHil.Simulation.Robustness;

namespace CimHil.Workflows;

/// <summary>The right-censored search's grid and scoring budget (docs/robustness.md §2).</summary>
public sealed record RcnSearchSettings
{
    /// <summary>Grid and refinement rounds.</summary>
    public RcnSearchOptions Grid { get; init; } = new();

    /// <summary>Monte-Carlo draws per candidate for its k-th percentile accuracy.</summary>
    public int Samples { get; init; } = 20;

    /// <summary>Percentile the search maximises (Yan et al.: k = 1).</summary>
    public double Percentile { get; init; } = 1;

    /// <summary>Training samples held out (from the end of the training set) to score candidates; never the test set.</summary>
    public int HoldOut { get; init; } = 1000;
}

/// <summary>A model trained with one robustness method, with what defines it.</summary>
/// <param name="Network">The trained network.</param>
/// <param name="Training">Per-epoch results of the final training run.</param>
/// <param name="Settings">The effective settings (for a searched rcn: the chosen σ and threshold).</param>
/// <param name="Parameters">Method and parameters, as recorded in the checkpoint metadata.</param>
/// <param name="Search">The right-censored search, when it ran.</param>
public sealed record MethodTrainingResult(Network Network, TrainingResult Training, RobustnessSettings Settings, IReadOnlyDictionary<string, string> Parameters, RcnSearchResult? Search);

/// <summary>
/// Trains a built-in model with a named robustness method (<see cref="RobustnessMethods"/>), running the right-censored
/// σ/threshold search first when asked. Shared by <c>cimhil train --method</c> and <c>cimhil study</c>.
/// </summary>
public static class MethodTraining
{
    /// <summary>Trains <paramref name="architecture"/> (seeded by the trainer seed) with <paramref name="method"/>.</summary>
    public static async Task<MethodTrainingResult> TrainAsync(
        string architecture,
        string method,
        RobustnessSettings settings,
        CimMappingOptions mapping,
        TrainerOptions options,
        Dataset train,
        Dataset? test,
        RcnSearchSettings search,
        IProgress<TrainingProgress>? progress,
        ILogger logger,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(logger);
        method = RobustnessMethods.Canonical(method);
        settings.Validate();
        RcnSearchResult? searched = null;
        if (method == RobustnessMethods.Rcn && settings.RcnSearch)
        {
            searched = await Task.Run(() => Search(architecture, settings, mapping, options, train, search, logger, ct), ct);
            settings = RobustnessMethods.WithRcn(settings, searched.Best) with { RcnSearch = true };
        }

        var network = ModelZoo.Create(architecture, options.Seed);
        var trainer = new Trainer(options, logger, RobustnessMethods.Create(method, settings with { RcnSearch = false }, mapping, options.Seed, logger));
        var result = await trainer.TrainAsync(network, train, test, progress, ct);
        var parameters = new SortedDictionary<string, string>(RobustnessMethods.Parameters(method, settings).ToDictionary(), StringComparer.Ordinal);
        if (searched is not null)
        {
            parameters["rcn_search_candidates"] = searched.Candidates.Count.ToString(CultureInfo.InvariantCulture);
            parameters["rcn_search_kpp"] = searched.Best.KthPercentileAccuracy.ToString("R", CultureInfo.InvariantCulture);
        }

        return new MethodTrainingResult(network, result, settings, parameters, searched);
    }

    private static RcnSearchResult Search(string architecture, RobustnessSettings settings, CimMappingOptions mapping, TrainerOptions options, Dataset train, RcnSearchSettings search, ILogger logger, CancellationToken ct)
    {
        var hold = Math.Clamp(search.HoldOut, 1, Math.Max(1, train.Count / 5));
        if (train.Count - hold < 1)
        {
            throw new ArgumentException($"the right-censored search needs at least 2 training samples to hold some out; have {train.Count}");
        }

        var fit = train.Take(train.Count - hold);
        var (x, labels) = train.Skip(train.Count - hold).Batch(Enumerable.Range(0, hold).ToArray());

        // The deployment variation the candidates are judged under: the settings' variation spec, or the Gaussian σ_rel.
        var target = RobustnessMethods.TargetNoise(settings, mapping);
        logger.Information("Right-censored search: {Candidates} grid points, {Samples} draws of {Target} on {HoldOut} held-out training samples, percentile {Percentile}",
            search.Grid.SigmaRelative.Count * search.Grid.ThresholdSigmas.Count, search.Samples, target.Describe(), hold, search.Percentile);
        var result = RobustnessMethods.SearchRcn(
            search.Grid,
            candidate =>
            {
                var network = ModelZoo.Create(architecture, options.Seed);
                new Trainer(options, logger, candidate).Train(network, fit, null, null, ct);
                return network;
            },
            x,
            labels,
            target,
            search.Samples,
            search.Percentile,
            unchecked((ulong)options.Seed),
            ct);
        logger.Information("Right-censored search chose σ_rel {Sigma}, threshold {Threshold} σ (KPP {Kpp})", result.Best.SigmaRelative, result.Best.ThresholdSigmas, result.Best.KthPercentileAccuracy);
        return result;
    }
}

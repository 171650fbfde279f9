using System.Collections.Immutable;
using CimHil.Core.Config;
using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;

namespace CimHil.Workflows.Tests.Study;

/// <summary>A hand-made study table: rows whose every number is chosen, so the aggregate can be checked by hand.</summary>
internal static class SyntheticStudy
{
    /// <summary>A per-seed row; the Monte-Carlo mean and percentile are <paramref name="clean"/> − 0.05 and − 0.20, worst case at k = 1, 2 given.</summary>
    public static StudyRow Row(string method, int seed, string model, double clean, double worst1, double worst2, params double[] chips) => new(
        method,
        seed,
        model,
        "synthetic",
        WeightRepresentation.DifferentialPair,
        new MonteCarloSummary(clean, clean - 0.05, 0.02, clean - 0.3, 1, clean - 0.20, new Interval(clean - 0.25, clean - 0.15), new Interval(clean - 0.06, clean - 0.04), 0.95, 100, "synthetic", seed, 1, [.. chips]),
        new WorstCaseSummary("default", "box", clean, 30, 100, [new WorstCaseSummaryPoint(1, worst1, null), new WorstCaseSummaryPoint(2, worst2, null)], 1));

    public static StudyModel Model(string method, int seed, double floatAccuracy) =>
        new(method, seed, ImmutableDictionary<string, string>.Empty, $"{method}-{seed}.safetensors", false, floatAccuracy, 1);

    /// <summary>standard and noise, seeds 1–3, calibrated only; noise gains 0.05, 0.04, 0.05 clean and loses worst case within its spread.</summary>
    public static (StudyModel[] Models, StudyRow[] Rows) Table() => (
        [Model("standard", 1, 0.90), Model("standard", 2, 0.91), Model("standard", 3, 0.92), Model("noise", 1, 0.88), Model("noise", 2, 0.90), Model("noise", 3, 0.89)],
        [
            Row("standard", 1, "calibrated", 0.80, 0.10, 0.05, 0.7, 0.75),
            Row("standard", 2, "calibrated", 0.82, 0.12, 0.06, 0.72, 0.77),
            Row("standard", 3, "calibrated", 0.87, 0.14, 0.04, 0.8, 0.81),
            Row("noise", 1, "calibrated", 0.85, 0.11, 0.05, 0.8, 0.82),
            Row("noise", 2, "calibrated", 0.86, 0.10, 0.07, 0.81, 0.83),
            Row("noise", 3, "calibrated", 0.92, 0.18, 0.05, 0.9, 0.88),
        ]);

    /// <summary>The study of <see cref="Table"/> (standard and noise, worst case at k = 1, 2) as a study.json would hold it.</summary>
    /// <param name="models">Replaces the table's models (same methods and seeds, or none with <paramref name="rows"/> none).</param>
    /// <param name="finishedUtc">When the study finished (default: when it started, the Unix epoch).</param>
    /// <param name="stageSeconds">Seconds per stage.</param>
    /// <param name="rows">Replaces the table's rows.</param>
    /// <param name="settingsJson">The study section (default: the two methods, worst case at k = 1, 2).</param>
    public static StudyResults Results(StudyModel[]? models = null, DateTimeOffset? finishedUtc = null, IReadOnlyDictionary<string, double>? stageSeconds = null, StudyRow[]? rows = null, string? settingsJson = null)
    {
        var (tableModels, tableRows) = Table();
        models ??= tableModels;
        rows ??= tableRows;
        var settings = StudySettings.Parse(new JsonSection(JsonSection.Parse(settingsJson ?? """{"methods": ["standard", "noise"], "worstCase": {"ks": [1, 2]}}""", "t").Element, "study"));
        return new StudyResults
        {
            RunId = "20260101-000000",
            Folder = "runs/20260101-000000",
            StartedUtc = DateTimeOffset.UnixEpoch,
            FinishedUtc = finishedUtc ?? DateTimeOffset.UnixEpoch,
            ConfigHash = "hash",
            SoftwareVersion = "0.1.0",
            Host = "host",
            Dataset = "data",
            Settings = settings,
            Mapping = new CimMappingOptions(),
            Models = [.. models],
            Rows = [.. rows],
            Aggregate = StudyAggregation.Aggregate(models, rows, settings.WorstCaseKs),
            StageSeconds = (stageSeconds ?? new Dictionary<string, double>()).ToImmutableDictionary(),
        };
    }
}

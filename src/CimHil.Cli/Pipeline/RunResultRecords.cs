using System.Collections.Immutable;
using CimHil.Core.Devices;
using CimHil.Reporting.Browser;
using CimHil.Simulation.MonteCarlo;

namespace CimHil.Cli.Pipeline;

/// <summary>What one stage of the pipeline reports while it works.</summary>
public sealed record StageProgress(string Stage, double Done, double Total, string? Detail = null);

/// <summary>Monte-Carlo outcome as kept in the run folder (monte-carlo.json).</summary>
public sealed record MonteCarloSummary(
    double CleanAccuracy, double Mean, double StandardDeviation, double Minimum, double PercentileK, double Percentile,
    Interval PercentileInterval, Interval MeanInterval, double ConfidenceLevel, int Images, string Variation, long Seed,
    double Seconds, ImmutableArray<double> ChipAccuracies);

/// <summary>One bound's worst case as kept in worst-case.json.</summary>
public sealed record WorstCaseSummaryPoint(double K, double Accuracy, string? Perturbation);

/// <summary>Worst-case outcome as kept in the run folder (worst-case.json).</summary>
public sealed record WorstCaseSummary(string Method, string Bound, double CleanAccuracy, int Images, long Devices, ImmutableArray<WorstCaseSummaryPoint> Points, double Seconds);

/// <summary>Everything the run produced; results.json.</summary>
public sealed record RunResults
{
    public required string RunId { get; init; }

    public required string Folder { get; init; }

    public required DateTimeOffset StartedUtc { get; init; }

    public DateTimeOffset FinishedUtc { get; init; }

    public required string Chip { get; init; }

    public required string Driver { get; init; }

    public required string ConfigHash { get; init; }

    public required string Database { get; init; }

    public long Measurements { get; init; }

    public required string Calibration { get; init; }

    public required string Model { get; init; }

    public double? ModelFloatAccuracy { get; init; }

    public MonteCarloSummary? MonteCarlo { get; init; }

    public WorstCaseSummary? WorstCase { get; init; }

    public required string Report { get; init; }

    public string? Screenshot { get; init; }

    /// <summary>What headless Chromium saw when it opened report.html: console errors, failed requests, every plot's marks.</summary>
    public ReportPageResult? ReportCheck { get; init; }

    public ImmutableDictionary<string, double> StageSeconds { get; init; } = ImmutableDictionary<string, double>.Empty;

    /// <summary>What the plan measured that the calibrated model lacks (levels, drift, cycle-to-cycle, unfinished procedures).</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];
}

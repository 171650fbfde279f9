using System.Collections.Immutable;
using CimHil.Core.Devices;

namespace CimHil.Workflows;

/// <summary>Monte-Carlo outcome as kept in the run folder (monte-carlo.json).</summary>
public sealed record MonteCarloSummary(
    double CleanAccuracy, double Mean, double StandardDeviation, double Minimum, double PercentileK, double Percentile,
    Interval PercentileInterval, Interval MeanInterval, double ConfidenceLevel, int Images, string Variation, long Seed,
    double Seconds, ImmutableArray<double> ChipAccuracies);

/// <summary>One bound's worst case as kept in worst-case.json.</summary>
public sealed record WorstCaseSummaryPoint(double K, double Accuracy, string? Perturbation);

/// <summary>Worst-case outcome as kept in the run folder (worst-case.json).</summary>
public sealed record WorstCaseSummary(string Method, string Bound, double CleanAccuracy, int Images, long Devices, ImmutableArray<WorstCaseSummaryPoint> Points, double Seconds);

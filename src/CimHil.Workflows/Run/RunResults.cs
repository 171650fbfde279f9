using System.Collections.Immutable;
using CimHil.Reporting.Browser;

namespace CimHil.Workflows;

/// <summary>Everything the run produced; results.json.</summary>
public sealed record RunResults : WorkflowResults
{
    /// <summary>The chip's identity as the driver reported it.</summary>
    public required string Chip { get; init; }

    /// <summary>The configured chip driver (chip.driver).</summary>
    public required string Driver { get; init; }

    /// <summary>SHA-256 of hil-config.json's content, as in the measurement store's provenance.</summary>
    public required string ConfigHash { get; init; }

    /// <summary>The measurement store: measurements.db in the folder, or the store a run from a store read.</summary>
    public required string Database { get; init; }

    /// <summary>Records in the store after characterisation (or in the store a run from a store read).</summary>
    public long Measurements { get; init; }

    /// <summary>The calibrated device model (calibration.json).</summary>
    public required string Calibration { get; init; }

    /// <summary>The calibration report beside it (calibration.report.html), linked from report.html.</summary>
    public string? CalibrationReport { get; init; }

    /// <summary>The network's checkpoint (run.model).</summary>
    public required string Model { get; init; }

    /// <summary>Float test accuracy when the model was trained by this run; null when it was loaded.</summary>
    public double? ModelFloatAccuracy { get; init; }

    /// <summary>The Monte-Carlo stage's outcome (monte-carlo.json).</summary>
    public MonteCarloSummary? MonteCarlo { get; init; }

    /// <summary>The worst-case stage's outcome (worst-case.json).</summary>
    public WorstCaseSummary? WorstCase { get; init; }

    /// <summary>report.html.</summary>
    public required string Report { get; init; }

    /// <summary>report.png, when the browser check ran.</summary>
    public string? Screenshot { get; init; }

    /// <summary>What headless Chromium saw when it opened report.html: console errors, failed requests, every plot's marks.</summary>
    public ReportPageResult? ReportCheck { get; init; }

    /// <summary>Seconds per stage, by stage name.</summary>
    public ImmutableDictionary<string, double> StageSeconds { get; init; } = ImmutableDictionary<string, double>.Empty;

    /// <summary>What the plan measured that the calibrated model lacks (levels, drift, cycle-to-cycle, unfinished procedures).</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>The store a run from a store read (path, SHA-256, imports); null for a run that characterised a chip.</summary>
    public SourceStore? Source { get; init; }
}

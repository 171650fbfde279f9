using System.Collections.Immutable;
using CimHil.Core.Chip;
using CimHil.Core.Devices;

namespace CimHil.Reporting;

// The report's input model. It is deliberately plain: the pipeline (Characterization, Calibration, Simulation)
// copies its results into these records, so this project never references those layers.
// Units follow the code base: conductance in siemens (…S), time in seconds (…Seconds), accuracy as a fraction in [0, 1].
// Conversion to µS and % happens only when rendering.

/// <summary>Everything one `cimhil run` report shows; every section is optional and rendered only when present.</summary>
public sealed record RunReport
{
    /// <summary>Page title (also the HTML &lt;title&gt;).</summary>
    public required string Title { get; init; }

    /// <summary>Where the numbers come from: run id, times, chip, driver, config hash, versions, seeds, host.</summary>
    public ReportProvenance? Provenance { get; init; }

    /// <summary>Conductance of every cell of the array.</summary>
    public ConductanceMap? ConductanceMap { get; init; }

    /// <summary>Programmed conductance per target level with the fitted error distribution.</summary>
    public ImmutableArray<LevelHistogram> LevelHistograms { get; init; } = [];

    /// <summary>Programming σ versus target conductance, measured and fitted.</summary>
    public SigmaCurve? Sigma { get; init; }

    /// <summary>Conductance drift over time per level, with power-law fits.</summary>
    public DriftReport? Drift { get; init; }

    /// <summary>Per-chip accuracies of the Monte-Carlo evaluation.</summary>
    public MonteCarloAccuracy? MonteCarlo { get; init; }

    /// <summary>Worst-case accuracy versus the perturbation bound k, one or several series.</summary>
    public WorstCaseCurve? WorstCase { get; init; }

    /// <summary>The headline numbers table.</summary>
    public AccuracySummary? Summary { get; init; }

    /// <summary>Free-form sections appended after the standard ones.</summary>
    public ImmutableArray<ReportSection> Sections { get; init; } = [];
}

/// <summary>
/// The report's provenance table: the run's own <see cref="RunProvenance"/> (chip, driver, config hash, software; the
/// type the measurement store keeps) plus when and where the report's numbers were made, with which model and seeds.
/// </summary>
public sealed record ReportProvenance
{
    public required string RunId { get; init; }

    public DateTimeOffset? StartedUtc { get; init; }

    public DateTimeOffset? FinishedUtc { get; init; }

    /// <summary>What took the run: chip, driver, config hash and software version (geometry, clock and instruments are not shown).</summary>
    public RunProvenance? Run { get; init; }

    public string? DeviceModel { get; init; }

    public ImmutableArray<KeyValuePair<string, long>> Seeds { get; init; } = [];

    public string? Host { get; init; }

    /// <summary>Anything else worth recording (key → value), shown in order.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Extra { get; init; } = [];
}

/// <summary>Conductance of a rows × columns array, row-major, in siemens (NaN = not read).</summary>
public sealed record ConductanceMap
{
    public ConductanceMap(int rows, int columns, ImmutableArray<double> conductanceS)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (conductanceS.Length != rows * columns)
        {
            throw new ArgumentException(
                $"Conductance map holds {conductanceS.Length} values but {rows}x{columns} needs {rows * columns}.",
                nameof(conductanceS));
        }

        Rows = rows;
        Columns = columns;
        ConductanceS = conductanceS;
    }

    public int Rows { get; }

    public int Columns { get; }

    public ImmutableArray<double> ConductanceS { get; }

    /// <summary>Caption above the heatmap, e.g. "after programming, t = 1 s".</summary>
    public string? Caption { get; init; }

    public double this[int row, int column] => ConductanceS[(row * Columns) + column];
}

/// <summary>The fitted programming-error distribution of one level: family, offset (mean − target) and σ.</summary>
public sealed record FittedDistribution(ErrorDistribution Family, double OffsetS, double SigmaS);

/// <summary>Programmed conductances of one target level, with the distribution fitted to them.</summary>
public sealed record LevelHistogram
{
    public required double TargetS { get; init; }

    public required ImmutableArray<double> SamplesS { get; init; }

    public FittedDistribution? Fit { get; init; }
}

/// <summary>One measured σ point: target conductance, σ and its confidence interval.</summary>
public sealed record SigmaPoint(double TargetS, double SigmaS, Interval? SigmaIntervalS = null);

/// <summary>σ(G): measured points and the fitted polynomial σ(x), x = G / <see cref="MaxS"/> (see <see cref="Polynomial"/>).</summary>
public sealed record SigmaCurve
{
    public required ImmutableArray<SigmaPoint> Points { get; init; }

    public Polynomial? FitS { get; init; }

    /// <summary>Normalising conductance of the polynomial's variable (the window maximum).</summary>
    public double MaxS { get; init; } = double.NaN;

    /// <summary>Confidence level of the intervals, for the legend (e.g. 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>The measured levels and fitted σ polynomial of a calibrated model, as calibration wrote them.</summary>
    public static SigmaCurve FromModel(DeviceVariationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new SigmaCurve
        {
            Points = model.Programming.Levels.IsDefault
                ? []
                : [.. model.Programming.Levels.OrderBy(l => l.TargetS).Select(l => new SigmaPoint(l.TargetS, l.SigmaS, l.SigmaIntervalS))],
            FitS = model.Programming.SigmaS,
            MaxS = model.Window.MaxS,
        };
    }
}

/// <summary>Mean conductance of one level at one time after programming.</summary>
public sealed record DriftPoint(double TimeSeconds, double MeanConductanceS);

/// <summary>G(t) = G0·(t / t0)^−ν fitted to one level (Ielmini et al., IEEE TED 54(2), 2007: PCM drift power law).</summary>
public sealed record PowerLawFit(double G0S, double T0Seconds, double Nu)
{
    public double Evaluate(double timeSeconds) => G0S * Math.Pow(timeSeconds / T0Seconds, -Nu);
}

/// <summary>Drift of one programmed level.</summary>
public sealed record DriftLevel
{
    public required double TargetS { get; init; }

    public required ImmutableArray<DriftPoint> Points { get; init; }

    public PowerLawFit? Fit { get; init; }
}

/// <summary>Conductance versus time for every level.</summary>
public sealed record DriftReport
{
    public required ImmutableArray<DriftLevel> Levels { get; init; }
}

/// <summary>Monte-Carlo accuracy over simulated chips, with the chosen low percentile and the worst case found.</summary>
public sealed record MonteCarloAccuracy
{
    /// <summary>Accuracy of each simulated chip, fractions in [0, 1].</summary>
    public required ImmutableArray<double> Accuracies { get; init; }

    /// <summary>Which percentile is reported, in percent (e.g. 1 for the 1st percentile).</summary>
    public double PercentileRank { get; init; } = 1;

    /// <summary>Value of that percentile; computed from <see cref="Accuracies"/> when null.</summary>
    public double? Percentile { get; init; }

    public Interval? PercentileInterval { get; init; }

    /// <summary>Worst-case accuracy (e.g. from the adversarial search), drawn as a marker.</summary>
    public double? WorstCase { get; init; }

    /// <summary>Accuracy without variation, drawn as a marker.</summary>
    public double? Clean { get; init; }
}

/// <summary>A named series of worst-case points (e.g. "worst-case search", "MC minimum", "MC 1st percentile").</summary>
public sealed record WorstCaseSeries(string Name, ImmutableArray<WorstCasePoint> Points);

/// <summary>Accuracy versus bound k.</summary>
public sealed record WorstCaseCurve
{
    public required ImmutableArray<WorstCaseSeries> Series { get; init; }

    /// <summary>Axis title of k, with its unit.</summary>
    public string KAxisTitle { get; init; } = "bound k (multiples of σ)";
}

/// <summary>The headline accuracy numbers, fractions in [0, 1].</summary>
public sealed record AccuracySummary
{
    public double? Clean { get; init; }

    public double? MonteCarloMean { get; init; }

    public double? MonteCarloSd { get; init; }

    public int? MonteCarloChips { get; init; }

    public double PercentileRank { get; init; } = 1;

    public double? Percentile { get; init; }

    public Interval? PercentileInterval { get; init; }

    /// <summary>Confidence level of <see cref="PercentileInterval"/> (e.g. 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    public ImmutableArray<WorstCasePoint> WorstCase { get; init; } = [];
}

/// <summary>A free-form section: title, optional paragraph and optional table.</summary>
public sealed record ReportSection
{
    public required string Title { get; init; }

    public string? Text { get; init; }

    public ReportTable? Table { get; init; }

    /// <summary>Files beside the report that this section points to (e.g. the calibration report of a run).</summary>
    public ImmutableArray<ReportLink> Links { get; init; } = [];
}

/// <summary>A plain table of strings; every row has one cell per column.</summary>
public sealed record ReportTable(ImmutableArray<string> Columns, ImmutableArray<ImmutableArray<string>> Rows);

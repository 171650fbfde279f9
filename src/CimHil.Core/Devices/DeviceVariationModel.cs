using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.IO;

namespace CimHil.Core.Devices;

// The calibration file schema (calibration/*.json), written by CimHil.Calibration and read by CimHil.Simulation.
// Conductance-dependent quantities are polynomials in the normalised conductance x = G / window.MaxS,
// coefficients in ascending order, as in the PCM model of Nandakumar et al. (IEDM 2019) that aihwkit implements.
// See docs/calibration-schema.md.

/// <summary>The programmable conductance range of a device.</summary>
public sealed record ConductanceWindow(double MinS, double MaxS)
{
    public double SpanS => MaxS - MinS;

    public double Clamp(double conductanceS) => Math.Clamp(conductanceS, MinS, MaxS);

    /// <summary>x = G / MaxS, the variable of every polynomial in the model.</summary>
    public double Normalise(double conductanceS) => conductanceS / MaxS;
}

/// <summary>A closed interval, e.g. a bootstrap confidence interval.</summary>
public sealed record Interval(double Low, double High)
{
    public bool Contains(double value) => value >= Low && value <= High;
}

/// <summary>How well a fitted distribution describes the data it was fitted to.</summary>
public sealed record GoodnessOfFit(string Test, double Statistic, double PValue, int SampleCount);

/// <summary>Distribution family of the programming error, all parameterised by location and standard deviation.</summary>
public enum ErrorDistribution
{
    Normal,
    Laplace,
    Logistic,
}

/// <summary>c0 + c1·x + c2·x² + … in x = G / MaxS; optional 95 % bootstrap interval per coefficient.</summary>
public sealed record Polynomial(ImmutableArray<double> Coefficients, ImmutableArray<Interval>? CoefficientIntervals = null)
{
    public static Polynomial Constant(double c) => new([c]);

    public double Evaluate(double x)
    {
        var y = 0.0;
        for (var i = Coefficients.Length - 1; i >= 0; i--)
        {
            y = (y * x) + Coefficients[i];
        }

        return y;
    }
}

/// <summary>Measured statistics of one programmed level.</summary>
public sealed record LevelStatistics
{
    public required double TargetS { get; init; }

    /// <summary>Mean of (measured − target).</summary>
    public required double OffsetS { get; init; }

    public required double SigmaS { get; init; }

    public Interval? SigmaIntervalS { get; init; }

    public required ErrorDistribution Family { get; init; }

    public GoodnessOfFit? Fit { get; init; }

    public required int Count { get; init; }

    /// <summary>σ of the change between the last verify read and the settled value: the error verify cannot see (schema 1, optional).</summary>
    public double? NoiseSigmaS { get; init; }

    public Interval? NoiseSigmaIntervalS { get; init; }

    /// <summary>Mean conductance the cells of this level actually reached (schema 1, optional).</summary>
    public double? MeanS { get; init; }

    /// <summary>Verify failures and outliers of the level, counted before the spread was fitted (schema 1, optional).</summary>
    public LevelVerification? Verification { get; init; }

    /// <summary>The distribution family chosen by goodness of fit, with parameters and bootstrap intervals (schema 1, optional).</summary>
    public LevelDistribution? Distribution { get; init; }
}

/// <summary>Programming error: G_programmed = G_target + offset(x) + σ(x)·ε, ε of <see cref="Family"/> with unit variance.</summary>
public sealed record ProgrammingErrorModel
{
    public required Polynomial SigmaS { get; init; }

    public Polynomial? OffsetS { get; init; }

    public required ErrorDistribution Family { get; init; }

    public ImmutableArray<LevelStatistics> Levels { get; init; } = [];

    public GoodnessOfFit? Fit { get; init; }

    /// <summary>σ(G) as a smooth function of the level, used between and beyond the measured levels (schema 1, optional).</summary>
    public SigmaOfConductance? SigmaOfG { get; init; }

    /// <summary>The modified z-score above which a verified cell is an outlier (Iglewicz &amp; Hoaglin 1993; schema 1, optional).</summary>
    public double? OutlierThreshold { get; init; }
}

/// <summary>Read noise: each read returns G + σ_read(x)·N(0,1), independent between reads.</summary>
public sealed record ReadNoiseModel
{
    public required Polynomial SigmaS { get; init; }

    public GoodnessOfFit? Fit { get; init; }

    /// <summary>σ of ln(per-cell σ_read / population σ_read(G)): how much noisier some cells are than others (optional).</summary>
    public double? CellSpreadLogSigma { get; init; }

    public Interval? CellSpreadLogSigmaInterval { get; init; }

    /// <summary>When the noise was measured, seconds after programming (PCM's 1/f noise grows with it; optional).</summary>
    public double? SecondsAfterProgramming { get; init; }
}

/// <summary>
/// Device-to-device spread of the window ends: each cell's G_min and G_max are lognormal around the window's
/// MinS and MaxS with these σ of ln G (schema 1, optional).
/// </summary>
public sealed record DeviceToDeviceModel
{
    public required double MinLogSigma { get; init; }

    public required double MaxLogSigma { get; init; }

    public Interval? MinLogSigmaInterval { get; init; }

    public Interval? MaxLogSigmaInterval { get; init; }

    /// <summary>Fit of ln G_max to a normal distribution.</summary>
    public GoodnessOfFit? Fit { get; init; }

    public int Cells { get; init; }
}

/// <summary>
/// Cycle-to-cycle variation: the change a given pulse makes is ΔG·(1 + σ·ε), ε ~ N(0,1) afresh on every pulse,
/// measured as the spread of one repeated probe pulse on the same cell (schema 1, optional).
/// </summary>
public sealed record CycleToCycleModel
{
    public required double RelativeSigma { get; init; }

    public Interval? RelativeSigmaInterval { get; init; }

    public GoodnessOfFit? Fit { get; init; }

    public int Cells { get; init; }

    public int Repeats { get; init; }
}

/// <summary>Power-law drift G(t) = G(t0)·(t/t0)^−ν with ν ~ N(mean(x), sd(x)) per device.</summary>
public sealed record DriftModel
{
    public required double T0Seconds { get; init; }

    public required Polynomial NuMean { get; init; }

    public required Polynomial NuSigma { get; init; }

    public GoodnessOfFit? Fit { get; init; }
}

/// <summary>Cells stuck at a high (ON) or low (OFF) conductance, independent of programming.</summary>
public sealed record StuckAtModel
{
    public required double StuckOnRate { get; init; }

    public required double StuckOffRate { get; init; }

    public required double StuckOnConductanceS { get; init; }

    public required double StuckOffConductanceS { get; init; }

    public Interval? StuckOnRateInterval { get; init; }

    public Interval? StuckOffRateInterval { get; init; }

    public static StuckAtModel None { get; } = new() { StuckOnRate = 0, StuckOffRate = 0, StuckOnConductanceS = 0, StuckOffConductanceS = 0 };
}

/// <summary>Where a model came from: the run, chip and software that produced it, or the publication.</summary>
public sealed record ModelProvenance
{
    public required string Source { get; init; }

    public string? Reference { get; init; }

    public string? RunId { get; init; }

    public string? ChipId { get; init; }

    public string? Driver { get; init; }

    public string? ConfigHash { get; init; }

    public string? SoftwareVersion { get; init; }

    public DateTimeOffset? CreatedUtc { get; init; }
}

/// <summary>A device variation model: what calibration writes and the simulation engine reads.</summary>
public sealed record DeviceVariationModel
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required string Name { get; init; }

    public required DeviceTechnology Technology { get; init; }

    public required ConductanceWindow Window { get; init; }

    public required ProgrammingErrorModel Programming { get; init; }

    public required ReadNoiseModel ReadNoise { get; init; }

    /// <summary>Null when the device does not drift measurably.</summary>
    public DriftModel? Drift { get; init; }

    public StuckAtModel StuckAt { get; init; } = StuckAtModel.None;

    /// <summary>Spread of the window ends from cell to cell (optional).</summary>
    public DeviceToDeviceModel? DeviceToDevice { get; init; }

    /// <summary>Pulse-to-pulse randomness of conductance changes (optional).</summary>
    public CycleToCycleModel? CycleToCycle { get; init; }

    /// <summary>Relaxation/retention between phases and over time, from repeated reads of the same cells (optional).</summary>
    public RelaxationModel? Relaxation { get; init; }

    public required ModelProvenance Provenance { get; init; }
}

/// <summary>Reads and writes calibration/*.json with validation.</summary>
public static class DeviceModelFile
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static DeviceVariationModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(string.Empty, "device model file not found", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    public static DeviceVariationModel Parse(string json, string source)
    {
        var section = JsonSection.Parse(json, source);
        int version;
        try
        {
            version = section.Int("schemaVersion", 1, 1, null);
        }
        catch (ConfigException ex)
        {
            throw ex.WithSource(source);
        }

        if (version > DeviceVariationModel.CurrentSchemaVersion)
        {
            throw new ConfigException("schemaVersion", $"{version} is newer than this CimHil understands ({DeviceVariationModel.CurrentSchemaVersion})", source);
        }

        DeviceVariationModel? model;
        try
        {
            model = JsonSerializer.Deserialize<DeviceVariationModel>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ConfigException(ex.Path?.TrimStart('$', '.') ?? string.Empty, $"not a device variation model: {ex.Message.Split(" Path:")[0]}", source);
        }

        if (model is null)
        {
            throw new ConfigException(string.Empty, "empty device variation model", source);
        }

        Validate(model, source);
        return model;
    }

    public static void Save(DeviceVariationModel model, string path)
    {
        Validate(model, path);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(model, JsonOptions) + "\n");
    }

    public static void Validate(DeviceVariationModel m, string source)
    {
        void Fail(string path, string problem) => throw new ConfigException(path, problem, source);

        if (!(m.Window.MinS >= 0) || !(m.Window.MaxS > m.Window.MinS))
        {
            Fail("window", $"minS {m.Window.MinS:G4} and maxS {m.Window.MaxS:G4} do not form a conductance window (0 ≤ minS < maxS)");
        }

        CheckPolynomial(m.Programming.SigmaS, "programming.sigmaS");
        CheckPolynomial(m.ReadNoise.SigmaS, "readNoise.sigmaS");
        if (m.Programming.SigmaOfG is { } curve)
        {
            if (curve.Form is not (SigmaOfConductance.Linear or SigmaOfConductance.PowerLaw))
            {
                Fail("programming.sigmaOfG.form", $"'{curve.Form}' is not a σ(G) form; allowed: {SigmaOfConductance.Linear}, {SigmaOfConductance.PowerLaw}");
            }

            if (!double.IsFinite(curve.A) || !double.IsFinite(curve.B))
            {
                Fail("programming.sigmaOfG", $"a = {curve.A} and b = {curve.B} must be finite numbers");
            }
        }

        if (m.Drift is { } d)
        {
            if (!(d.T0Seconds > 0))
            {
                Fail("drift.t0Seconds", $"{d.T0Seconds} must be greater than 0");
            }

            CheckPolynomial(d.NuMean, "drift.nuMean");
            CheckPolynomial(d.NuSigma, "drift.nuSigma");
        }

        if (m.StuckAt.StuckOnRate is < 0 or > 1 || m.StuckAt.StuckOffRate is < 0 or > 1 || m.StuckAt.StuckOnRate + m.StuckAt.StuckOffRate > 1)
        {
            Fail("stuckAt", "stuck-at rates must lie in [0, 1] and sum to at most 1");
        }

        void CheckPolynomial(Polynomial p, string path)
        {
            if (p.Coefficients.IsDefaultOrEmpty)
            {
                Fail($"{path}.coefficients", "needs at least one coefficient");
            }

            for (var i = 0; i < p.Coefficients.Length; i++)
            {
                if (!double.IsFinite(p.Coefficients[i]))
                {
                    Fail($"{path}.coefficients[{i}]", "is not a finite number");
                }
            }
        }
    }
}

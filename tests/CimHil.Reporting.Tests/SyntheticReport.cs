using System.Collections.Immutable;
using CimHil.Core.Chip;
using CimHil.Core.Devices;

namespace CimHil.Reporting.Tests;

/// <summary>A realistic RunReport built from seeded random numbers (RRAM-like: 4 levels in a 5–40 µS window).</summary>
internal static class SyntheticReport
{
    public const int Rows = 32;
    public const int Columns = 32;
    public const int SamplesPerLevel = 300;
    public const int Chips = 500;
    public const double MaxS = 40e-6;
    public static readonly double[] LevelsS = [5e-6, 15e-6, 25e-6, 35e-6];

    // σ(x) = 0.3 + 2.4·x − 1.6·x² µS in x = G / MaxS (Core's polynomial convention): 0.6 µS at 5 µS, 1.2 µS near 30 µS.
    public static readonly Polynomial SigmaFit = new([0.3e-6, 2.4e-6, -1.6e-6]);

    public static RunReport Create(int seed = 20261122)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        double SigmaAt(double g) => SigmaFit.Evaluate(g / MaxS);

        // Unit-variance deviates by inverse CDF: Laplace scale 1/√2, logistic scale √3/π.
        double UnitDeviate(ErrorDistribution family)
        {
            var u = rng.NextDouble() - 0.5;
            return family switch
            {
                ErrorDistribution.Laplace => -Math.Sign(u) * Math.Log(1 - (2 * Math.Abs(u))) / Math.Sqrt(2),
                ErrorDistribution.Logistic => Math.Log((0.5 + u) / (0.5 - u)) * Math.Sqrt(3) / Math.PI,
                _ => Normal(),
            };
        }

        var map = new double[Rows * Columns];
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                var target = LevelsS[((r / 8) + (c / 8)) % LevelsS.Length];
                map[(r * Columns) + c] = target + (SigmaAt(target) * Normal());
            }
        }

        map[(3 * Columns) + 7] = double.NaN;

        var families = new[] { ErrorDistribution.Normal, ErrorDistribution.Laplace, ErrorDistribution.Logistic, ErrorDistribution.Normal };
        var histograms = LevelsS.Select((target, i) =>
        {
            var offset = 0.2e-6 * (i - 1.5);
            var samples = Enumerable.Range(0, SamplesPerLevel).Select(_ => target + offset + (SigmaAt(target) * UnitDeviate(families[i]))).ToImmutableArray();
            return new LevelHistogram { TargetS = target, SamplesS = samples, Fit = new FittedDistribution(families[i], offset, SigmaAt(target)) };
        }).ToImmutableArray();

        var sigmaTargets = Enumerable.Range(0, 8).Select(i => 5e-6 + (i * 5e-6)).ToArray();
        var sigmaPoints = sigmaTargets.Select(g =>
        {
            var s = SigmaAt(g) * (1 + (0.05 * Normal()));
            return new SigmaPoint(g, s, new Interval(s * 0.9, s * 1.11));
        }).ToImmutableArray();

        var times = new[] { 1.0, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5 };
        var drift = LevelsS.Select((target, i) =>
        {
            var nu = 0.02 + (0.015 * i);
            var fit = new PowerLawFit(target, 1, nu);
            return new DriftLevel
            {
                TargetS = target,
                Points = times.Select(t => new DriftPoint(t, fit.Evaluate(t) * (1 + (0.004 * Normal())))).ToImmutableArray(),
                Fit = fit,
            };
        }).ToImmutableArray();

        var accuracies = Enumerable.Range(0, Chips).Select(_ => Math.Round(Math.Clamp(0.872 + (0.011 * Normal()), 0, 1) * 10000) / 10000).ToImmutableArray();
        var sorted = accuracies.Order().ToArray();
        var mean = accuracies.Average();
        var sd = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Length - 1));
        var p1 = CimHil.Core.Numerics.OrderStatistics.Percentile(sorted, 1);
        var worst = new[] { new WorstCasePoint(0, 0.901), new WorstCasePoint(0.5, 0.874), new WorstCasePoint(1, 0.842), new WorstCasePoint(2, 0.761), new WorstCasePoint(3, 0.612) };

        return new RunReport
        {
            Title = "CimHil run <demo> & \"synthetic\" chip",
            Provenance = new ReportProvenance
            {
                RunId = "run-2026-11-22T21-00-00Z-7f3a",
                StartedUtc = new DateTimeOffset(2026, 11, 22, 21, 0, 0, TimeSpan.Zero),
                FinishedUtc = new DateTimeOffset(2026, 11, 22, 21, 14, 33, TimeSpan.Zero),
                Run = new RunProvenance
                {
                    Chip = new ChipIdentity("CimHil", "EMU-RRAM-32", "SN0042", "1.0.3", DeviceTechnology.Rram),
                    Geometry = new ArrayGeometry(Rows, Columns),
                    VirtualClock = true,
                    Driver = "emulator",
                    ConfigHash = "sha256:9c1f0e5b7a3d4c2e8f6a1b0d9e7c5a3f1e2d4c6b8a0f9e7d5c3b1a2f4e6d8c0b",
                    SoftwareVersion = "0.1.0+72e3400",
                },
                DeviceModel = "rram-emulator-2026-11 (calibration/emulator.json)",
                Seeds = [new("programming", 42), new("monte-carlo", 20261122)],
                Host = "bench-01",
            },
            ConductanceMap = new ConductanceMap(Rows, Columns, [.. map]) { Caption = "after programming a 4-level checkerboard, t = 1 s" },
            LevelHistograms = histograms,
            Sigma = new SigmaCurve
            {
                Points = sigmaPoints,
                FitS = SigmaFit,
                MaxS = MaxS,
            },
            Drift = new DriftReport { Levels = drift },
            MonteCarlo = new MonteCarloAccuracy { Accuracies = accuracies, PercentileRank = 1, Percentile = p1, WorstCase = 0.842, Clean = 0.901 },
            WorstCase = new WorstCaseCurve
            {
                Series =
                [
                    new WorstCaseSeries("worst-case search", [.. worst]),
                    new WorstCaseSeries("Monte-Carlo minimum", [new(0, 0.901), new(0.5, 0.889), new(1, 0.868), new(2, 0.822), new(3, 0.751)]),
                    new WorstCaseSeries("Monte-Carlo 1st percentile", [new(0, 0.901), new(0.5, 0.893), new(1, 0.876), new(2, 0.838), new(3, 0.784)]),
                ],
            },
            Summary = new AccuracySummary
            {
                Clean = 0.901,
                MonteCarloMean = mean,
                MonteCarloSd = sd,
                MonteCarloChips = Chips,
                PercentileRank = 1,
                Percentile = p1,
                PercentileInterval = new Interval(p1 - 0.004, p1 + 0.003),
                WorstCase = [.. worst],
            },
            Sections =
            [
                new ReportSection
                {
                    Title = "Calibration fit quality",
                    Text = "Goodness of fit of each model part.\n\nAnderson–Darling for programming error, Kolmogorov–Smirnov for read noise.",
                    Table = new ReportTable(["Model part", "Test", "Statistic", "p-value"],
                        [["programming error", "AD", "0.41", "0.34"], ["read noise", "KS", "0.031", "0.62"], ["drift <ν>", "R²", "0.996", "–"]]),
                },
            ],
        };
    }
}

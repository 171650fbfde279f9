using System.Collections.Immutable;
using System.Globalization;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Reporting;

namespace CimHil.Workflows;

/// <summary>Assembles report.html's content from what a run produced (<see cref="RunPipeline"/>).</summary>
internal static class RunReportBuilder
{
    /// <summary>The report of a finished run: its chip (<paramref name="provenance"/>), calibration, Monte-Carlo and worst case, and any warnings.</summary>
    public static RunReport Build(RunResults results, RunProvenance provenance, DeviceVariationModel model, ConductanceMap? map, string db, long runSeed, long emulatorSeed)
    {
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var levels = store.Units(ProcedureNames.Multilevel)
            .Where(u => u.TargetS is not null && u.ValueS is not null)
            .GroupBy(u => u.TargetS!.Value)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var fit = model.Programming.Levels.FirstOrDefault(l => Math.Abs(l.TargetS - g.Key) <= 1e-12);
                return new LevelHistogram
                {
                    TargetS = g.Key,
                    SamplesS = [.. g.Select(u => u.ValueS!.Value)],
                    Fit = fit is null ? null : new FittedDistribution(fit.Family, fit.OffsetS, fit.SigmaS),
                };
            })
            .ToImmutableArray();

        var drift = store.Measurements(ProcedureNames.Drift, MeasurementRoles.Drift)
            .Where(m => m.TargetS is not null && m.ElapsedSeconds is > 0 && m.ConductanceS is not null)
            .GroupBy(m => m.TargetS!.Value)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var points = g.GroupBy(m => Math.Round(Math.Log10(m.ElapsedSeconds!.Value), 3))
                    .Select(t => new DriftPoint(t.Average(m => m.ElapsedSeconds!.Value), t.Average(m => m.ConductanceS!.Value)))
                    .OrderBy(p => p.TimeSeconds)
                    .ToImmutableArray();
                PowerLawFit? fit = null;
                if (model.Drift is { } d && points.Length > 0)
                {
                    var nu = d.NuMean.Evaluate(model.Window.Normalise(g.Key));
                    var first = points[0];
                    fit = new PowerLawFit(first.MeanConductanceS * Math.Pow(first.TimeSeconds / d.T0Seconds, nu), d.T0Seconds, nu);
                }

                return new DriftLevel { TargetS = g.Key, Points = points, Fit = fit };
            })
            .ToImmutableArray();

        var wcPoints = results.WorstCase?.Points.Select(p => new WorstCasePoint(p.K, p.Accuracy)).ToImmutableArray() ?? [];
        var marked = results.WorstCase?.Points.OrderBy(p => Math.Abs(p.K - 1)).FirstOrDefault();
        var mc = results.MonteCarlo;
        return new RunReport
        {
            Title = $"CimHil run {results.RunId}",
            Provenance = new ReportProvenance
            {
                RunId = results.RunId,
                StartedUtc = results.StartedUtc,
                FinishedUtc = DateTimeOffset.UtcNow,
                Run = provenance,
                DeviceModel = $"{model.Name} ({model.Technology}), {results.Calibration}",
                // A run from a store took no emulator, so only a chip run names the emulator's seed.
                Seeds = results.Source is null ? [new("run", runSeed), new("emulator", emulatorSeed)] : [new("run", runSeed)],
                Host = Environment.MachineName,
                Extra = [new("model", results.Model), new("measurements", results.Measurements.ToString(CultureInfo.InvariantCulture)), .. SourceStoreReport.Provenance(results.Source)],
            },
            ConductanceMap = map,
            LevelHistograms = levels,
            Sigma = SigmaCurve.FromModel(model),
            Drift = drift.IsEmpty ? null : new DriftReport { Levels = drift },
            MonteCarlo = mc is null ? null : new MonteCarloAccuracy
            {
                Accuracies = mc.ChipAccuracies,
                PercentileRank = mc.PercentileK,
                Percentile = mc.Percentile,
                PercentileInterval = mc.PercentileInterval,
                WorstCase = marked?.Accuracy,
                Clean = mc.CleanAccuracy,
            },
            WorstCase = wcPoints.IsEmpty ? null : new WorstCaseCurve { Series = [new WorstCaseSeries($"worst case ({results.WorstCase!.Method} search)", wcPoints)] },
            Summary = new AccuracySummary
            {
                Clean = mc?.CleanAccuracy,
                MonteCarloMean = mc?.Mean,
                MonteCarloSd = mc?.StandardDeviation,
                MonteCarloChips = mc?.ChipAccuracies.Length,
                PercentileRank = mc?.PercentileK ?? 1,
                Percentile = mc?.Percentile,
                PercentileInterval = mc?.PercentileInterval,
                ConfidenceLevel = mc?.ConfidenceLevel ?? 0.95,
                WorstCase = wcPoints,
            },
            Sections = [
                .. results.Warnings.IsEmpty
                    ? []
                    : new[] { new ReportSection { Title = "Warning: the calibrated model is incomplete", Text = string.Join(" ", results.Warnings.Select(w => w + ".")) + " The simulation used defaults for what is missing." } },
                .. SourceStoreReport.Sections(results.Source),
                .. results.CalibrationReport is { } calibrationReport
                    ? new[]
                    {
                        new ReportSection
                        {
                            Title = "Calibration report",
                            Text = "Per-level histograms with the chosen distribution, σ(G) with its band, verify-failure rates, outliers, relaxation and the provenance of the data, for the model this run simulated (calibration.json).",
                            Links = [new ReportLink(Path.GetFileName(calibrationReport), Path.GetFileName(calibrationReport))],
                        },
                    }
                    : [],
                new ReportSection { Title = "How these numbers were obtained", Text = MethodNote(results) },
            ],
        };
    }

    private static string MethodNote(RunResults r)
    {
        var mc = r.MonteCarlo;
        var wc = r.WorstCase;
        var parts = new List<string>();
        if (mc is not null)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"Monte-Carlo: {mc.ChipAccuracies.Length} simulated chips drawn from the calibrated model ({mc.Variation}), each evaluated on the first {mc.Images} Fashion-MNIST test images, with read noise per inference; percentile intervals are bootstrap {mc.ConfidenceLevel:P0} intervals."));
        }

        if (wc is not null)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"Worst case: {wc.Method} search over {wc.Devices} devices on the first {wc.Images} test images, box {wc.Bound}, read noise off (the worst case is over the programmed conductances); its k = 0 point is the clean accuracy on those images, so it can differ slightly from the Monte-Carlo clean accuracy. The accuracy is non-increasing in k by construction (each bound starts from the previous bound's deviation); the deviations are saved under worst-case/ and can be re-applied with 'cimhil worst-case --verify'."));
        }

        return string.Join(" ", parts);
    }
}

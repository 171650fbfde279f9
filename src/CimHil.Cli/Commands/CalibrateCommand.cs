using System.CommandLine;
using CimHil.Calibration;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;
using CimHil.Reporting;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil calibrate</c>: fit a device variation model from a measurement database.</summary>
public static class CalibrateCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var database = new Argument<string>("database") { Description = "Measurement database written by 'cimhil characterize' (runs/<name>.db)" };
        var output = new Option<string>("--out") { Description = "Model file to write (calibration/<name>.json)", Required = true };
        var name = new Option<string?>("--name") { Description = "Model name (default: the file name of --out)" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples per confidence interval", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap", DefaultValueFactory = _ => 1 };
        var strict = new Option<bool>("--strict") { Description = "Fail (exit 3) when the fit lacks a part the plan measured: a level, drift, cycle-to-cycle, an unfinished procedure" };
        var report = new Option<string?>("--report") { Description = "Calibration report to write (HTML; default: beside --out, <name>.report.html)" };
        var json = CliServices.JsonOption();
        var command = new Command("calibrate", "Fit a device variation model (programming error, read noise, drift, stuck-at, window, d2d and c2c spread) with bootstrap intervals")
        {
            database, output, name, bootstrap, seed, strict, report, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var db = parse.GetValue(database)!;
            var outPath = parse.GetValue(output)!;
            var n = parse.GetValue(bootstrap);
            if (n is < 10 or > 100_000)
            {
                throw new CliUsageException($"--bootstrap {n}: must be between 10 and 100000");
            }

            using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
            var model = Calibrator.Fit(store, parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(outPath), new CalibrationOptions { BootstrapSamples = n, Seed = parse.GetValue(seed) });
            var gaps = CalibrationGaps.Find(model, store);
            if (gaps.Count > 0 && parse.GetValue(strict))
            {
                throw CalibrationGaps.Incomplete(db, gaps, "no model was written");
            }

            DeviceModelFile.Save(model, outPath);
            var reportPath = parse.GetValue(report) ?? ReportPath(outPath);
            await CalibrationReportWriter.WriteAsync(
                new CalibrationReport
                {
                    Title = $"Calibration of {model.Name}",
                    Model = model,
                    ModelPath = outPath,
                    StorePath = db,
                    Levels = [.. Calibrator.SettledConductances(store).Select(l => new LevelValues(l.TargetS, l.ValuesS))],
                    Imports = [.. store.Imports().SelectMany(i => i.Files.Select(f => new ImportedSource(i.ImportedUtc, i.Kind, i.Procedure, f.Name, f.Sha256, f.Rows, f.SkippedRows, i.MappingJson)))],
                },
                reportPath,
                ct).ConfigureAwait(false);
            foreach (var gap in gaps)
            {
                services.Error.WriteLine($"warning: {gap}");
            }

            if (parse.GetValue(json))
            {
                services.WriteJson(new
                {
                    model = outPath,
                    report = reportPath,
                    model.Name,
                    model.Technology,
                    model.Window,
                    programmingSigmaS = model.Programming.SigmaS,
                    programmingFit = model.Programming.Fit,
                    levels = model.Programming.Levels.Length,
                    levelVerification = model.Programming.Levels.Select(l => new { l.TargetS, l.Verification, family = l.Distribution?.Family }),
                    sigmaOfG = model.Programming.SigmaOfG is { } c ? new { c.Form, c.A, c.B, c.AInterval, c.BInterval } : null,
                    model.Relaxation,
                    readNoiseSigmaS = model.ReadNoise.SigmaS,
                    drift = model.Drift,
                    model.StuckAt,
                    model.DeviceToDevice,
                    model.CycleToCycle,
                    model.Provenance,
                    warnings = gaps,
                });
                return ExitCodes.Success;
            }

            var w = services.Output;
            w.WriteLine($"{model.Name} ({model.Technology}) from run {model.Provenance.RunId} → {outPath}");
            w.WriteLine($"  report → {reportPath}");
            w.WriteLine($"  window {CliParsing.Microsiemens(model.Window.MinS)} … {CliParsing.Microsiemens(model.Window.MaxS)} µS");
            foreach (var l in model.Programming.Levels)
            {
                w.WriteLine($"  level {CliParsing.Microsiemens(l.TargetS)} µS: offset {CliParsing.Microsiemens(l.OffsetS)} µS, σ {CliParsing.Microsiemens(l.SigmaS)} µS, {l.Family}, KS D={l.Fit?.Statistic:F3}, n={l.Count}"
                    + (l.Verification is { } v ? $"; never verified {v.Failed}/{v.Attempted} ({v.FailureRate:P1}), outliers {v.Outliers}" : string.Empty)
                    + (l.Distribution is { } d ? $"; distribution {d.Family}" : string.Empty));
            }

            w.WriteLine($"  stuck-on {model.StuckAt.StuckOnRate:P2}, stuck-off {model.StuckAt.StuckOffRate:P2}");
            if (model.CycleToCycle is { } c2c)
            {
                w.WriteLine($"  cycle-to-cycle σ {c2c.RelativeSigma:P1}");
            }

            if (model.DeviceToDevice is { } d2d)
            {
                w.WriteLine($"  device-to-device σ ln Gmin {d2d.MinLogSigma:F3}, σ ln Gmax {d2d.MaxLogSigma:F3}");
            }

            if (model.Programming.SigmaOfG is { } curve)
            {
                w.WriteLine(System.FormattableString.Invariant($"  σ(G): {curve.Form}, a = {curve.A * 1e6:G4} µS, b = {curve.B:G4}"));
            }

            if (model.Relaxation is { } r)
            {
                w.WriteLine($"  relaxation {r.Before} → {r.After}: " + string.Join(", ", r.Levels.Select(l => $"{CliParsing.Microsiemens(l.TargetS)} µS shift {CliParsing.Microsiemens(l.MeanShiftS)} µS, σ {CliParsing.Microsiemens(l.SigmaBeforeS)} → {CliParsing.Microsiemens(l.SigmaAfterS)} µS")));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Where the report goes by default: beside the model file, calibration/x.json → calibration/x.report.html.</summary>
    public static string ReportPath(string modelPath) => Path.Combine(Path.GetDirectoryName(modelPath) ?? string.Empty, Path.GetFileNameWithoutExtension(modelPath) + ".report.html");
}

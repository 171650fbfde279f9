using System.CommandLine;
using CimHil.Calibration;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

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
        var json = CliServices.JsonOption();
        var command = new Command("calibrate", "Fit a device variation model (programming error, read noise, drift, stuck-at, window, d2d and c2c spread) with bootstrap intervals")
        {
            database, output, name, bootstrap, seed, strict, json,
        };
        command.SetAction((ParseResult parse, CancellationToken ct) =>
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
            foreach (var gap in gaps)
            {
                services.Error.WriteLine($"warning: {gap}");
            }

            if (parse.GetValue(json))
            {
                services.WriteJson(new
                {
                    model = outPath,
                    model.Name,
                    model.Technology,
                    model.Window,
                    programmingSigmaS = model.Programming.SigmaS,
                    programmingFit = model.Programming.Fit,
                    levels = model.Programming.Levels.Length,
                    readNoiseSigmaS = model.ReadNoise.SigmaS,
                    drift = model.Drift,
                    model.StuckAt,
                    model.DeviceToDevice,
                    model.CycleToCycle,
                    model.Provenance,
                    warnings = gaps,
                });
                return Task.FromResult(ExitCodes.Success);
            }

            var w = services.Output;
            w.WriteLine($"{model.Name} ({model.Technology}) from run {model.Provenance.RunId} → {outPath}");
            w.WriteLine($"  window {CliParsing.Microsiemens(model.Window.MinS)} … {CliParsing.Microsiemens(model.Window.MaxS)} µS");
            foreach (var l in model.Programming.Levels)
            {
                w.WriteLine($"  level {CliParsing.Microsiemens(l.TargetS)} µS: offset {CliParsing.Microsiemens(l.OffsetS)} µS, σ {CliParsing.Microsiemens(l.SigmaS)} µS, {l.Family}, KS D={l.Fit?.Statistic:F3}, n={l.Count}");
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

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}

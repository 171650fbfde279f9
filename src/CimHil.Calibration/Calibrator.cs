using System.Collections.Immutable;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;
using Serilog;

namespace CimHil.Calibration;

/// <summary>
/// Fits a <see cref="DeviceVariationModel"/> from a characterisation run: per-level programming error, σ(G), read noise,
/// drift, stuck-at rates, the window, device-to-device and cycle-to-cycle spread, each with bootstrap intervals and a KS figure.
/// </summary>
public static partial class Calibrator
{
    public static DeviceVariationModel Fit(MeasurementStore store, string name, CalibrationOptions? options = null, ILogger? logger = null)
    {
        var o = options ?? new CalibrationOptions();
        var log = (logger ?? Serilog.Core.Logger.None).ForContext(typeof(Calibrator));
        var plan = CharacterizationPlan.ParseStored(store.Run.PlanJson, $"{store.Path} (stored plan)");
        var procedures = store.Procedures();
        if (!procedures.Contains(ProcedureNames.Multilevel))
        {
            throw new CalibrationException($"{store.Path}: the run has no multilevel procedure; the programming-error model needs it");
        }

        var rng = new Random(o.Seed);
        var window = FitWindow(store, procedures);
        log.Information("Window {MinS} S … {MaxS} S", window.MinS, window.MaxS);
        var programming = FitProgramming(store, plan, window, o, rng);
        var readNoise = FitReadNoise(store, procedures, plan, window, o, rng);
        var model = new DeviceVariationModel
        {
            Name = name,
            Technology = store.Run.Provenance.Chip.Technology,
            Window = window,
            Programming = programming,
            ReadNoise = readNoise,
            Drift = procedures.Contains(ProcedureNames.Drift) ? FitDrift(store, plan, window, o, rng) : null,
            StuckAt = procedures.Contains(ProcedureNames.StuckMap) ? FitStuck(store, o, rng) : StuckAtModel.None,
            DeviceToDevice = procedures.Contains(ProcedureNames.StuckMap) ? FitDeviceToDevice(store, window, readNoise, o, rng) : null,
            CycleToCycle = procedures.Contains(ProcedureNames.CycleToCycle) ? FitCycleToCycle(store, o, rng) : null,
            Relaxation = procedures.Contains(ProcedureNames.Drift) ? FitRelaxation(store, o, rng) : null,
            Provenance = new ModelProvenance
            {
                Source = $"calibration of characterisation run {store.Run.RunId} ({store.Run.Name})",
                Reference = Path.GetFileName(store.Path),
                RunId = store.Run.RunId,
                ChipId = store.Run.Provenance.Chip.ToString(),
                Driver = store.Run.Provenance.Driver,
                ConfigHash = store.Run.Provenance.ConfigHash,
                SoftwareVersion = Core.Chip.RunProvenance.CurrentSoftwareVersion,
                CreatedUtc = DateTimeOffset.UtcNow,
            },
        };
        DeviceModelFile.Validate(model, name);
        return model;
    }

    /// <summary>
    /// The settled conductance (mean of the final reads) of every cell that verified, per level in level order, exactly as
    /// the fit saw them (outliers included): what the calibration report's histograms show.
    /// </summary>
    public static IReadOnlyList<(double TargetS, IReadOnlyList<double> ValuesS)> SettledConductances(MeasurementStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var converged = store.Units(ProcedureNames.Multilevel).Where(u => u.Outcome == ProcedureNames.Converged).Select(u => u.Key).ToHashSet();
        return Group(store, ProcedureNames.Multilevel, MeasurementRoles.Final)
            .Where(kv => converged.Contains(kv.Key) && kv.Value.Count > 0)
            .GroupBy(kv => kv.Key.Step)
            .OrderBy(g => g.Key)
            .Select(g => (g.First().Value[0].TargetS ?? double.NaN, (IReadOnlyList<double>)[.. g.Select(kv => Stats.Mean(kv.Value.Select(r => r.ConductanceS ?? double.NaN).ToList()))]))
            .ToList();
    }

    private static ConductanceWindow FitWindow(MeasurementStore store, IReadOnlyList<string> procedures)
    {
        if (procedures.Contains(ProcedureNames.StuckMap))
        {
            var ok = OkCells(store);
            var set = LastReads(store, ProcedureNames.StuckMap, MeasurementRoles.Set).Where(kv => ok.Contains((kv.Key.Row, kv.Key.Column))).Select(kv => kv.Value).ToList();
            var reset = LastReads(store, ProcedureNames.StuckMap, MeasurementRoles.Reset).Where(kv => ok.Contains((kv.Key.Row, kv.Key.Column))).Select(kv => kv.Value).ToList();
            if (set.Count > 0)
            {
                // The window is where a typical cell goes under full SET and full RESET: the medians over healthy cells.
                return new ConductanceWindow(Math.Max(0, Stats.Median(reset)), Stats.Median(set));
            }
        }

        var finals = store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final).Select(m => m.ConductanceS ?? 0).ToList();
        return new ConductanceWindow(Math.Max(0, finals.Min()), finals.Max());
    }

    private static ProgrammingErrorModel FitProgramming(MeasurementStore store, CharacterizationPlan plan, ConductanceWindow window, CalibrationOptions o, Random rng)
    {
        const string name = ProcedureNames.Multilevel;
        var units = store.Units(name);
        var converged = units.Where(u => u.Outcome == ProcedureNames.Converged).Select(u => u.Key).ToHashSet();
        var finals = Group(store, name, MeasurementRoles.Final);
        var lastVerify = LastReads(store, name, MeasurementRoles.Verify);
        var k = Math.Max(1, plan.Verify.FinalReads);
        var m = Math.Max(1, plan.Verify.VerifyReads);
        var windows = VerifyWindows(store, plan);

        // Per cell-level: e = mean of final reads − target; d = mean of final reads − last verify read; s² within the final reads.
        var cellsByLevel = new SortedDictionary<int, List<(double Target, double Final, double Delta, double S2)>>();
        foreach (var (key, reads) in finals)
        {
            if (!converged.Contains(key) || reads.Count == 0)
            {
                continue;
            }

            var g = reads.Select(r => r.ConductanceS ?? double.NaN).ToList();
            var target = reads[0].TargetS ?? double.NaN;
            var mean = Stats.Mean(g);
            var delta = lastVerify.TryGetValue(key, out var v) ? mean - v : double.NaN;
            if (!cellsByLevel.TryGetValue(key.Step, out var list))
            {
                cellsByLevel[key.Step] = list = [];
            }

            list.Add((target, mean, delta, g.Count > 1 ? Stats.Variance(g) : 0));
        }

        if (cellsByLevel.Count == 0)
        {
            throw new CalibrationException($"{store.Path}: no converged multilevel cells to fit the programming error on");
        }

        // A spread needs two cells: one verified cell gives no σ (a small import does this), and the model would be refused
        // later for a σ that "is not a finite number" without saying which level or why.
        if (cellsByLevel.FirstOrDefault(kv => kv.Value.Count < 2) is { Value: not null } lone)
        {
            var attempted = units.Count(u => u.Key.Step == lone.Key);
            throw new CalibrationException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{store.Path}: multilevel level {lone.Key} (target {lone.Value[0].Target * 1e6:G6} µS) has 1 verified cell of {attempted}; the spread of a level needs at least 2"));
        }

        (double Offset, double Sigma, double Noise) LevelStats(IReadOnlyList<(double Target, double Final, double Delta, double S2)> c)
        {
            var e = c.Select(x => x.Final - x.Target).ToList();
            var s2 = Stats.Mean(c.Select(x => x.S2).ToList());

            // The final value is a mean of k reads, so its read noise (s²/k) is removed: what remains is programming error.
            var sigma = Math.Sqrt(Math.Max(0, Stats.Variance(e) - (s2 / k)));
            var d = c.Select(x => x.Delta).Where(double.IsFinite).ToList();
            var noise = d.Count > 2 ? Math.Sqrt(Math.Max(0, Stats.Variance(d) - (s2 / k) - (s2 / m))) : double.NaN;
            return (Stats.Mean(e), sigma, noise);
        }

        // Cells that never verified are counted per level and kept out of the spread; so are robust outliers among the
        // cells that verified (RobustOutliers: modified z-score, Iglewicz & Hoaglin 1993). Both are reported, never dropped silently.
        var attemptedByLevel = units.GroupBy(u => u.Key.Step).ToDictionary(g => g.Key, g => (Attempted: g.Count(), Failed: g.Count(u => u.Outcome == ProcedureNames.NotConverged)));
        var outliersByLevel = new Dictionary<int, List<double>>();
        foreach (var step in cellsByLevel.Keys.ToList())
        {
            var cells = cellsByLevel[step];
            var outlying = RobustOutliers.Find(cells.Select(c => c.Final).ToList()).ToHashSet();
            outliersByLevel[step] = [.. outlying.Select(i => cells[i].Final)];
            if (outlying.Count > 0 && cells.Count - outlying.Count >= 3)
            {
                cellsByLevel[step] = [.. cells.Where((_, i) => !outlying.Contains(i))];
            }
            else
            {
                outliersByLevel[step] = [];
            }
        }

        var levels = new List<LevelStatistics>();
        var pooled = new List<double>();
        var levelSigmaSe = new List<double>();
        foreach (var (step, cells) in cellsByLevel)
        {
            var (offset, sigma, noise) = LevelStats(cells);
            var raw = Math.Sqrt(Stats.Variance(cells.Select(x => x.Final - x.Target).ToList()));
            var z = cells.Select(x => (x.Final - x.Target - offset) / raw).ToList();
            pooled.AddRange(z);
            var boot = Enumerable.Range(0, o.BootstrapSamples).Select(_ =>
            {
                var idx = Stats.Resample(rng, cells.Count);
                return LevelStats(idx.Select(i => cells[i]).ToList());
            }).ToList();
            var bootSigma = boot.Select(b => b.Sigma).Where(double.IsFinite).ToList();
            levelSigmaSe.Add(bootSigma.Count > 1 ? Math.Sqrt(Stats.Variance(bootSigma)) : double.NaN);
            var (family, fit) = Stats.BestFamily(z);
            var (attempted, failed) = attemptedByLevel.GetValueOrDefault(step, (cells.Count, 0));
            var win = windows.GetValueOrDefault(step);
            var outliers = outliersByLevel[step];
            levels.Add(new LevelStatistics
            {
                TargetS = cells[0].Target,
                OffsetS = offset,
                SigmaS = sigma,
                SigmaIntervalS = Stats.Percentile95(boot.Select(b => b.Sigma)),
                Family = family,
                Fit = fit,
                Count = cells.Count,
                NoiseSigmaS = double.IsFinite(noise) ? noise : null,
                NoiseSigmaIntervalS = double.IsFinite(noise) ? Stats.Percentile95(boot.Select(b => b.Noise)) : null,
                MeanS = Stats.Mean(cells.Select(x => x.Final).ToList()),
                Verification = new LevelVerification
                {
                    Attempted = attempted,
                    Failed = failed,
                    FailureRate = attempted > 0 ? (double)failed / attempted : 0,
                    FailureRateInterval = Stats.Wilson95(failed, attempted),
                    Outliers = outliers.Count,
                    OutlierValuesS = [.. outliers],
                    WindowLowS = win.Low,
                    WindowHighS = win.High,
                },
                Distribution = LevelFamilyFit.Fit(cells.Select(x => x.Final).ToList(), win.Low, win.High, o.BootstrapSamples, rng),
            });
        }

        var overall = Stats.BestFamily(pooled);
        var xs = levels.Select(l => window.Normalise(l.TargetS)).ToList();
        var weights = levels.Select(l => (double)l.Count).ToList();
        var sigmaCoefficients = Stats.PolynomialFit(xs, levels.Select(l => l.SigmaS).ToList(), weights, o.PolynomialDegree);
        var offsetCoefficients = Stats.PolynomialFit(xs, levels.Select(l => l.OffsetS).ToList(), weights, o.PolynomialDegree);

        // Coefficient intervals: resample the cells of every level, recompute the level σ, refit.
        var levelCells = cellsByLevel.Values.ToList();
        var sigmaReplicates = Enumerable.Range(0, o.BootstrapSamples)
            .Select(_ => (IReadOnlyList<double>)levelCells.Select(c => LevelStats(Stats.Resample(rng, c.Count).Select(i => c[i]).ToList()).Sigma).ToList())
            .ToList();
        var replicates = sigmaReplicates.Select(sig => Stats.PolynomialFit(xs, sig, weights, o.PolynomialDegree)).ToList();
        var intervals = Enumerable.Range(0, sigmaCoefficients.Length)
            .Select(i => Stats.Percentile95(replicates.Select(r => r[i])) ?? new Interval(sigmaCoefficients[i], sigmaCoefficients[i]))
            .ToImmutableArray();
        return new ProgrammingErrorModel
        {
            SigmaS = new Polynomial([.. sigmaCoefficients], intervals),
            OffsetS = new Polynomial([.. offsetCoefficients]),
            Family = overall.Family,
            Levels = [.. levels],
            Fit = overall.Fit,
            SigmaOfG = SigmaCurve.Fit(xs, [.. levels.Select(l => l.SigmaS)], levelSigmaSe, sigmaReplicates, window),
            OutlierThreshold = RobustOutliers.Threshold,
        };
    }

    /// <summary>
    /// The verify window of every level: the imported window columns (median per level) when the store holds them, else
    /// target ± the plan's tolerance for a bench run (how program-and-verify decides); none for an import without windows.
    /// </summary>
    private static Dictionary<int, (double? Low, double? High)> VerifyWindows(MeasurementStore store, CharacterizationPlan plan)
    {
        var result = new Dictionary<int, (double? Low, double? High)>();
        if (store.Imports().Any(i => i.Procedure == ProcedureNames.Multilevel))
        {
            foreach (var level in store.ImportAnnotations().Values.Where(a => a.Key.Procedure == ProcedureNames.Multilevel && a.WindowLowS is not null && a.WindowHighS is not null).GroupBy(a => a.Key.Step))
            {
                result[level.Key] = (Stats.Median(level.Select(a => a.WindowLowS!.Value)), Stats.Median(level.Select(a => a.WindowHighS!.Value)));
            }

            return result;
        }

        foreach (var u in store.Units(ProcedureNames.Multilevel))
        {
            if (u.TargetS is { } t && !result.ContainsKey(u.Key.Step))
            {
                result[u.Key.Step] = (t - plan.Verify.ToleranceS, t + plan.Verify.ToleranceS);
            }
        }

        return result;
    }

    private static HashSet<(int Row, int Column)> OkCells(MeasurementStore store) =>
        store.Units(ProcedureNames.StuckMap).Where(u => u.Outcome == ProcedureNames.Ok).Select(u => (u.Key.Row, u.Key.Column)).ToHashSet();

    /// <summary>Reads of one role grouped by unit, in sequence order.</summary>
    private static Dictionary<UnitKey, List<Measurement>> Group(MeasurementStore store, string procedure, string role)
    {
        var map = new Dictionary<UnitKey, List<Measurement>>();
        foreach (var m in store.Measurements(procedure, role))
        {
            if (m.Kind != MeasurementKind.Read)
            {
                continue;
            }

            var key = new UnitKey(procedure, m.Key.Row, m.Key.Column, m.Key.Step);
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = [];
            }

            list.Add(m);
        }

        return map;
    }

    /// <summary>The conductance of the last read of one role in every unit.</summary>
    private static Dictionary<UnitKey, double> LastReads(MeasurementStore store, string procedure, string role)
    {
        var map = new Dictionary<UnitKey, double>();
        foreach (var m in store.Measurements(procedure, role))
        {
            if (m.Kind == MeasurementKind.Read)
            {
                map[new UnitKey(procedure, m.Key.Row, m.Key.Column, m.Key.Step)] = m.ConductanceS ?? double.NaN;
            }
        }

        return map;
    }
}

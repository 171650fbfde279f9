using System.Collections.Immutable;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;
using Serilog;

namespace CimHil.Calibration;

/// <summary>How calibration fits: bootstrap size and seed, polynomial degree, drift reference time.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Bootstrap resamples per confidence interval.</summary>
    public int BootstrapSamples { get; init; } = 200;

    public int Seed { get; init; } = 1;

    /// <summary>Degree of σ(x), σ_read(x), ν(x) polynomials (2, as in the PCM model of Nandakumar et al. 2019).</summary>
    public int PolynomialDegree { get; init; } = 2;

    /// <summary>t0 of G(t) = G(t0)·((t + t0)/t0)^−ν; default: the plan's first drift read time.</summary>
    public double? DriftT0Seconds { get; init; }
}

/// <summary>A run's measurements could not be calibrated (a procedure the model needs is missing or empty).</summary>
public sealed class CalibrationException(string message) : Exception(message);

/// <summary>
/// Fits a <see cref="DeviceVariationModel"/> from a characterisation run: per-level programming error, σ(G), read noise,
/// drift, stuck-at rates, the window, device-to-device and cycle-to-cycle spread, each with bootstrap intervals and a KS figure.
/// </summary>
public static class Calibrator
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
        var converged = store.Units(name).Where(u => u.Outcome == ProcedureNames.Converged).Select(u => u.Key).ToHashSet();
        var finals = Group(store, name, MeasurementRoles.Final);
        var lastVerify = LastReads(store, name, MeasurementRoles.Verify);
        var k = Math.Max(1, plan.Verify.FinalReads);
        var m = Math.Max(1, plan.Verify.VerifyReads);

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

        var levels = new List<LevelStatistics>();
        var pooled = new List<double>();
        var standardisedByLevel = new Dictionary<int, List<double>>();
        foreach (var (step, cells) in cellsByLevel)
        {
            var (offset, sigma, noise) = LevelStats(cells);
            var raw = Math.Sqrt(Stats.Variance(cells.Select(x => x.Final - x.Target).ToList()));
            var z = cells.Select(x => (x.Final - x.Target - offset) / raw).ToList();
            standardisedByLevel[step] = z;
            pooled.AddRange(z);
            var boot = Enumerable.Range(0, o.BootstrapSamples).Select(_ =>
            {
                var idx = Stats.Resample(rng, cells.Count);
                return LevelStats(idx.Select(i => cells[i]).ToList());
            }).ToList();
            var (family, fit) = Stats.BestFamily(z);
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
            });
        }

        var overall = Stats.BestFamily(pooled);
        var xs = levels.Select(l => window.Normalise(l.TargetS)).ToList();
        var weights = levels.Select(l => (double)l.Count).ToList();
        var sigmaCoefficients = Stats.PolynomialFit(xs, levels.Select(l => l.SigmaS).ToList(), weights, o.PolynomialDegree);
        var offsetCoefficients = Stats.PolynomialFit(xs, levels.Select(l => l.OffsetS).ToList(), weights, o.PolynomialDegree);

        // Coefficient intervals: resample the cells of every level, recompute the level σ, refit.
        var levelCells = cellsByLevel.Values.ToList();
        var replicates = Enumerable.Range(0, o.BootstrapSamples).Select(_ =>
        {
            var sig = levelCells.Select(c => LevelStats(Stats.Resample(rng, c.Count).Select(i => c[i]).ToList()).Sigma).ToList();
            return Stats.PolynomialFit(xs, sig, weights, o.PolynomialDegree);
        }).ToList();
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
        };
    }

    private static ReadNoiseModel FitReadNoise(MeasurementStore store, IReadOnlyList<string> procedures, CharacterizationPlan plan, ConductanceWindow window, CalibrationOptions o, Random rng)
    {
        // Repeated reads of programmed cells: from the readNoise procedure, else the final reads of multilevel.
        var fromNoise = procedures.Contains(ProcedureNames.ReadNoise);
        var proc = fromNoise ? ProcedureNames.ReadNoise : ProcedureNames.Multilevel;
        var groups = Group(store, proc, fromNoise ? MeasurementRoles.Noise : MeasurementRoles.Final)
            .Where(kv => kv.Value.Count > 1)
            .Select(kv => (Key: kv.Key, G: kv.Value.Select(r => r.ConductanceS ?? double.NaN).ToList()))
            .ToList();
        if (groups.Count == 0)
        {
            throw new CalibrationException($"{store.Path}: no repeated reads to fit read noise on (run readNoise, or multilevel with finalReads > 1)");
        }

        var cells = groups.Select(g => (g.Key.Step, Mean: Stats.Mean(g.G), Var: Stats.Variance(g.G), N: g.G.Count, g.G)).ToList();
        var byLevel = cells.GroupBy(c => c.Step).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        double[] FitLevels(IReadOnlyList<List<(int Step, double Mean, double Var, int N, List<double> G)>> lv)
        {
            var x = lv.Select(l => window.Normalise(Stats.Mean(l.Select(c => c.Mean).ToList()))).ToList();

            // Pooled within-cell variance per level: the population σ_read at that conductance.
            var y = lv.Select(l => Math.Sqrt(Stats.Mean(l.Select(c => c.Var).ToList()))).ToList();
            return Stats.PolynomialFit(x, y, lv.Select(l => (double)l.Count).ToList(), o.PolynomialDegree);
        }

        var coefficients = FitLevels(byLevel);
        var poly = new Polynomial([.. coefficients]);
        var replicates = Enumerable.Range(0, o.BootstrapSamples)
            .Select(_ => FitLevels(byLevel.Select(l => Stats.Resample(rng, l.Count).Select(i => l[i]).ToList()).ToList()))
            .ToList();
        var intervals = Enumerable.Range(0, coefficients.Length)
            .Select(i => Stats.Percentile95(replicates.Select(r => r[i])) ?? new Interval(coefficients[i], coefficients[i]))
            .ToImmutableArray();

        // Cell-to-cell spread of the noise strength: var ln(s_c / σ(G_c)) minus the sampling variance of ln s, ≈ 1/(2(n − 1)).
        var logs = cells.Select(c => (L: 0.5 * Math.Log(c.Var / Math.Pow(poly.Evaluate(window.Normalise(c.Mean)), 2)), c.N)).Where(t => double.IsFinite(t.L)).ToList();
        double Spread(IReadOnlyList<(double L, int N)> l) =>
            Math.Sqrt(Math.Max(0, Stats.Variance(l.Select(t => t.L).ToList()) - Stats.Mean(l.Select(t => 1.0 / (2 * (t.N - 1))).ToList())));
        var spread = Spread(logs);
        var spreadBoot = Enumerable.Range(0, o.BootstrapSamples).Select(_ => Spread(Stats.Resample(rng, logs.Count).Select(i => logs[i]).ToList()));

        var z = cells.SelectMany(c => c.G.Select(g => (g - c.Mean) / poly.Evaluate(window.Normalise(c.Mean)) * Math.Sqrt(c.N / (c.N - 1.0)))).ToList();
        double? seconds = null;
        if (fromNoise)
        {
            var last = store.LastPulseTimes(proc, null);
            var firstRead = Group(store, proc, MeasurementRoles.Noise).ToDictionary(kv => (kv.Key.Row, kv.Key.Column), kv => kv.Value[0].Timestamp);
            var ages = firstRead.Where(kv => last.ContainsKey(kv.Key)).Select(kv => (kv.Value - last[kv.Key]).TotalSeconds).ToList();
            seconds = ages.Count > 0 ? Stats.Median(ages) : null;
        }
        else
        {
            seconds = plan.Verify.SettleSeconds;
        }

        return new ReadNoiseModel
        {
            SigmaS = new Polynomial([.. coefficients], intervals),
            Fit = Stats.KolmogorovSmirnov(z, ErrorDistribution.Normal),
            CellSpreadLogSigma = spread,
            CellSpreadLogSigmaInterval = Stats.Percentile95(spreadBoot),
            SecondsAfterProgramming = seconds,
        };
    }

    private static DriftModel? FitDrift(MeasurementStore store, CharacterizationPlan plan, ConductanceWindow window, CalibrationOptions o, Random rng)
    {
        const string name = ProcedureNames.Drift;
        var t0 = o.DriftT0Seconds ?? plan.Drift?.TimesSeconds.FirstOrDefault() ?? 1.0;
        var programmed = store.Units(name).Where(u => u.Key.Step == 0 && u.Outcome == ProcedureNames.Converged).ToDictionary(u => (u.Key.Row, u.Key.Column));
        var series = new Dictionary<(int, int), List<(double T, double G)>>();
        foreach (var r in store.Measurements(name, MeasurementRoles.Drift))
        {
            if (r.ElapsedSeconds is not { } t || t <= 0 || r.ConductanceS is not { } g || g <= 0 || !programmed.ContainsKey((r.Key.Row, r.Key.Column)))
            {
                continue;
            }

            var cell = (r.Key.Row, r.Key.Column);
            if (!series.TryGetValue(cell, out var list))
            {
                series[cell] = list = [];
            }

            list.Add((t, g));
        }

        // Several reads per time point (taken at the same moment) are averaged into one point of the series.
        foreach (var cell in series.Keys.ToList())
        {
            series[cell] = series[cell].GroupBy(p => Math.Round(p.T, 6)).Select(grp => (grp.First().T, grp.Average(p => p.G))).ToList();
        }

        // Per cell: ln G = a − ν·ln((t + t0)/t0), least squares; ν̂ and its standard error.
        var cells = new List<(double Target, double G, double Nu, double Se2)>();
        foreach (var (cell, pts) in series)
        {
            if (pts.Count < 3)
            {
                continue;
            }

            var x = pts.Select(p => Math.Log((p.T + t0) / t0)).ToList();
            var y = pts.Select(p => Math.Log(p.G)).ToList();
            var mx = Stats.Mean(x);
            var my = Stats.Mean(y);
            var sxx = x.Sum(v => (v - mx) * (v - mx));
            var slope = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum() / sxx;
            var resid = x.Zip(y, (a, b) => b - my - (slope * (a - mx))).Sum(r => r * r) / (pts.Count - 2);
            cells.Add((programmed[cell].TargetS ?? double.NaN, programmed[cell].ValueS ?? double.NaN, -slope, resid / sxx));
        }

        if (cells.Count == 0)
        {
            return null;
        }

        var levels = cells.GroupBy(c => c.Target).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        (double[] Mean, double[] Sigma) FitLevels(IReadOnlyList<List<(double Target, double G, double Nu, double Se2)>> lv)
        {
            var x = lv.Select(l => window.Normalise(Stats.Mean(l.Select(c => c.G).ToList()))).ToList();
            var w = lv.Select(l => (double)l.Count).ToList();
            var mean = lv.Select(l => Stats.Mean(l.Select(c => c.Nu).ToList())).ToList();

            // Spread of ν between cells: variance of the estimates minus their mean squared standard error.
            var sd = lv.Select(l => Math.Sqrt(Math.Max(0, Stats.Variance(l.Select(c => c.Nu).ToList()) - Stats.Mean(l.Select(c => c.Se2).ToList())))).ToList();
            return (Stats.PolynomialFit(x, mean, w, o.PolynomialDegree), Stats.PolynomialFit(x, sd, w, o.PolynomialDegree));
        }

        var (meanC, sigmaC) = FitLevels(levels);
        var boot = Enumerable.Range(0, o.BootstrapSamples).Select(_ => FitLevels(levels.Select(l => Stats.Resample(rng, l.Count).Select(i => l[i]).ToList()).ToList())).ToList();
        ImmutableArray<Interval> Intervals(double[] c, Func<(double[] Mean, double[] Sigma), double[]> pick) =>
            [.. Enumerable.Range(0, c.Length).Select(i => Stats.Percentile95(boot.Select(b => pick(b)[i])) ?? new Interval(c[i], c[i]))];
        var meanPoly = new Polynomial([.. meanC], Intervals(meanC, b => b.Mean));
        var sigmaPoly = new Polynomial([.. sigmaC], Intervals(sigmaC, b => b.Sigma));
        var z = cells.Select(c =>
        {
            var x = window.Normalise(c.G);
            var sd = Math.Sqrt(Math.Pow(sigmaPoly.Evaluate(x), 2) + c.Se2);
            return (c.Nu - meanPoly.Evaluate(x)) / sd;
        }).ToList();
        return new DriftModel { T0Seconds = t0, NuMean = meanPoly, NuSigma = sigmaPoly, Fit = Stats.KolmogorovSmirnov(z, ErrorDistribution.Normal) };
    }

    private static StuckAtModel FitStuck(MeasurementStore store, CalibrationOptions o, Random rng)
    {
        var units = store.Units(ProcedureNames.StuckMap);
        var n = units.Count;
        var on = units.Where(u => u.Outcome == ProcedureNames.StuckOn).ToList();
        var off = units.Where(u => u.Outcome == ProcedureNames.StuckOff).ToList();

        // Bootstrap over cells: a resample of n cells holds Binomial(n, p̂) stuck ones.
        Interval? Boot(int count) => Stats.Percentile95(Enumerable.Range(0, o.BootstrapSamples)
            .Select(_ => (double)MathNet.Numerics.Distributions.Binomial.Sample(rng, (double)count / n, n) / n));
        return new StuckAtModel
        {
            StuckOnRate = (double)on.Count / n,
            StuckOffRate = (double)off.Count / n,
            StuckOnConductanceS = on.Count > 0 ? Stats.Median(on.Select(u => u.ValueS ?? double.NaN)) : 0,
            StuckOffConductanceS = off.Count > 0 ? Math.Max(0, Stats.Median(off.Select(u => u.ValueS ?? double.NaN))) : 0,
            StuckOnRateInterval = Boot(on.Count),
            StuckOffRateInterval = Boot(off.Count),
        };
    }

    private static DeviceToDeviceModel? FitDeviceToDevice(MeasurementStore store, ConductanceWindow window, ReadNoiseModel noise, CalibrationOptions o, Random rng)
    {
        var ok = OkCells(store);
        var set = LastReads(store, ProcedureNames.StuckMap, MeasurementRoles.Set);
        var reset = LastReads(store, ProcedureNames.StuckMap, MeasurementRoles.Reset);
        var pairs = ok.Select(c => (Set: set.GetValueOrDefault(new UnitKey(ProcedureNames.StuckMap, c.Row, c.Column, 0), double.NaN), Reset: reset.GetValueOrDefault(new UnitKey(ProcedureNames.StuckMap, c.Row, c.Column, 0), double.NaN)))
            .Where(p => p.Set > 0 && p.Reset > 0).ToList();
        if (pairs.Count < 3)
        {
            return null;
        }

        // σ of ln G over cells, minus the part one read's noise adds: Var ln(G + n) ≈ Var ln G + (σ_read(G)/G)².
        double LogSigma(IReadOnlyList<double> g)
        {
            var noiseVar = Stats.Mean(g.Select(v => Math.Pow(noise.SigmaS.Evaluate(window.Normalise(v)) / v, 2)).ToList());
            return Math.Sqrt(Math.Max(0, Stats.Variance(g.Select(v => Math.Log(v)).ToList()) - noiseVar));
        }

        var maxG = pairs.Select(p => p.Set).ToList();
        var minG = pairs.Select(p => p.Reset).ToList();
        var boot = Enumerable.Range(0, o.BootstrapSamples).Select(_ =>
        {
            var idx = Stats.Resample(rng, pairs.Count);
            return (Min: LogSigma(idx.Select(i => minG[i]).ToList()), Max: LogSigma(idx.Select(i => maxG[i]).ToList()));
        }).ToList();
        var lnMax = maxG.Select(v => Math.Log(v)).ToList();
        var mu = Stats.Mean(lnMax);
        var sd = Math.Sqrt(Stats.Variance(lnMax));
        return new DeviceToDeviceModel
        {
            MinLogSigma = LogSigma(minG),
            MaxLogSigma = LogSigma(maxG),
            MinLogSigmaInterval = Stats.Percentile95(boot.Select(b => b.Min)),
            MaxLogSigmaInterval = Stats.Percentile95(boot.Select(b => b.Max)),
            Fit = Stats.KolmogorovSmirnov(lnMax.Select(v => (v - mu) / sd).ToList(), ErrorDistribution.Normal),
            Cells = pairs.Count,
        };
    }

    private static CycleToCycleModel? FitCycleToCycle(MeasurementStore store, CalibrationOptions o, Random rng)
    {
        const string name = ProcedureNames.CycleToCycle;
        var before = Group(store, name, MeasurementRoles.Final);
        var after = Group(store, name, MeasurementRoles.Probe);
        var converged = store.Units(name).Where(u => u.Outcome == ProcedureNames.Converged).Select(u => u.Key).ToHashSet();

        // Per repeat: ΔG = mean(after) − mean(before), and the read-noise variance of that difference.
        var byCell = new Dictionary<(int, int), List<(double Dg, double NoiseVar)>>();
        foreach (var (key, a) in after)
        {
            if (!converged.Contains(key) || !before.TryGetValue(key, out var b))
            {
                continue;
            }

            var ga = a.Select(r => r.ConductanceS ?? double.NaN).ToList();
            var gb = b.Select(r => r.ConductanceS ?? double.NaN).ToList();
            var noiseVar = (ga.Count > 1 ? Stats.Variance(ga) / ga.Count : 0) + (gb.Count > 1 ? Stats.Variance(gb) / gb.Count : 0);
            var cell = (key.Row, key.Column);
            if (!byCell.TryGetValue(cell, out var list))
            {
                byCell[cell] = list = [];
            }

            list.Add((Stats.Mean(ga) - Stats.Mean(gb), noiseVar));
        }

        var cells = byCell.Values.Where(l => l.Count >= 3 && Stats.Mean(l.Select(x => x.Dg).ToList()) > 0).ToList();
        if (cells.Count == 0)
        {
            return null;
        }

        // σ_rel² of one cell = (Var ΔG − mean read-noise variance) / (mean ΔG)²; pooled as the mean over cells.
        double Relative(IReadOnlyList<List<(double Dg, double NoiseVar)>> cs) => Math.Sqrt(Math.Max(0, Stats.Mean(cs.Select(l =>
        {
            var d = l.Select(x => x.Dg).ToList();
            return (Stats.Variance(d) - Stats.Mean(l.Select(x => x.NoiseVar).ToList())) / Math.Pow(Stats.Mean(d), 2);
        }).ToList())));
        var sigma = Relative(cells);
        var boot = Enumerable.Range(0, o.BootstrapSamples).Select(_ => Relative(Stats.Resample(rng, cells.Count).Select(i => cells[i]).ToList()));
        var z = cells.SelectMany(l =>
        {
            var d = l.Select(x => x.Dg).ToList();
            var m = Stats.Mean(d);
            var s = Math.Sqrt(Stats.Variance(d));
            return d.Select(v => (v - m) / s);
        }).ToList();
        return new CycleToCycleModel
        {
            RelativeSigma = sigma,
            RelativeSigmaInterval = Stats.Percentile95(boot),
            Fit = Stats.KolmogorovSmirnov(z, ErrorDistribution.Normal),
            Cells = cells.Count,
            Repeats = (int)Math.Round(cells.Average(c => c.Count)),
        };
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

using System.Collections.Immutable;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

namespace CimHil.Calibration;

/// <summary>The fits of how one cell varies: read noise between reads, drift over time, spread from cycle to cycle.</summary>
public static partial class Calibrator
{
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
}

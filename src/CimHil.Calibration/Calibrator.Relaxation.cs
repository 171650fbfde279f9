using System.Globalization;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

namespace CimHil.Calibration;

/// <summary>The fit of relaxation/retention: how the same cells move between two phases (or read times) and over time.</summary>
public static partial class Calibrator
{
    /// <summary>
    /// Relaxation from the repeated reads of the drift (retention) procedure. Reads of one cell at one (phase, elapsed
    /// time) are averaged. With two or more phase labels, "before" is each cell's last read of the first phase and "after"
    /// its first read of the last phase — the change across the phase boundary (e.g. the bake); otherwise the first and the
    /// last read time. Per level the change is paired by cell, so the shift's interval is not widened by the level's spread.
    /// </summary>
    private static RelaxationModel? FitRelaxation(MeasurementStore store, CalibrationOptions o, Random rng)
    {
        const string name = ProcedureNames.Drift;
        var programmed = store.Units(name)
            .Where(u => u.Key.Step == 0 && u.Outcome != ProcedureNames.NotConverged && u.TargetS is not null)
            .ToDictionary(u => (u.Key.Row, u.Key.Column), u => u.TargetS!.Value);
        var notes = store.ImportAnnotations();
        var reads = new List<(int Row, int Column, string? Phase, double T, double G, double? TemperatureK)>();
        foreach (var r in store.Measurements(name, MeasurementRoles.Drift))
        {
            if (r.Kind != MeasurementKind.Read || r.ConductanceS is not { } g || !(g > 0) || !programmed.ContainsKey((r.Key.Row, r.Key.Column)))
            {
                continue;
            }

            var note = notes.GetValueOrDefault(r.Key);
            reads.Add((r.Key.Row, r.Key.Column, note?.Phase, r.ElapsedSeconds ?? r.Key.Step, g, note?.TemperatureK));
        }

        // Time points: distinct (phase, elapsed), in order of elapsed time.
        var points = reads.Select(r => (r.Phase, T: Math.Round(r.T, 6))).Distinct().OrderBy(p => p.T).ToList();
        if (points.Count < 2)
        {
            return null;
        }

        var phases = points.Where(p => p.Phase is not null).Select(p => p.Phase!).Distinct().ToList();
        var byCell = reads.GroupBy(r => (r.Row, r.Column)).ToDictionary(
            g => g.Key,
            g => g.GroupBy(r => (r.Phase, T: Math.Round(r.T, 6))).ToDictionary(p => p.Key, p => p.Average(r => r.G)));
        (string? Phase, double T)? Before((int, int) cell) => phases.Count >= 2
            ? byCell[cell].Keys.Where(k => k.Phase == phases[0]).OrderBy(k => k.T).Select(k => ((string?, double)?)k).LastOrDefault()
            : byCell[cell].Keys.OrderBy(k => k.T).Select(k => ((string?, double)?)k).FirstOrDefault();
        (string? Phase, double T)? After((int, int) cell) => phases.Count >= 2
            ? byCell[cell].Keys.Where(k => k.Phase == phases[^1]).OrderBy(k => k.T).Select(k => ((string?, double)?)k).FirstOrDefault()
            : byCell[cell].Keys.OrderBy(k => k.T).Select(k => ((string?, double)?)k).LastOrDefault();

        var pairs = new List<(double Target, double B, double A, (string? Phase, double T) BeforeKey, (string? Phase, double T) AfterKey)>();
        foreach (var cell in byCell.Keys)
        {
            if (Before(cell) is { } b && After(cell) is { } a && a.T > b.T)
            {
                pairs.Add((programmed[cell], byCell[cell][b], byCell[cell][a], b, a));
            }
        }

        if (pairs.Count == 0)
        {
            return null;
        }

        var levels = new List<LevelRelaxation>();
        foreach (var level in pairs.GroupBy(p => p.Target).OrderBy(g => g.Key))
        {
            var l = level.ToList();
            if (l.Count < 3)
            {
                continue;
            }

            (double Shift, double Growth) Moments(IReadOnlyList<(double B, double A)> c) =>
                (Stats.Mean(c.Select(x => x.A - x.B).ToList()), Math.Sqrt(Math.Max(0, Stats.Variance(c.Select(x => x.A).ToList()) - Stats.Variance(c.Select(x => x.B).ToList()))));
            var cells = l.Select(x => (x.B, x.A)).ToList();
            var (shift, growth) = Moments(cells);
            var boot = Enumerable.Range(0, o.BootstrapSamples).Select(_ => Moments(Stats.Resample(rng, cells.Count).Select(i => cells[i]).ToList())).ToList();
            levels.Add(new LevelRelaxation
            {
                TargetS = level.Key,
                Cells = l.Count,
                MeanBeforeS = Stats.Mean(l.Select(x => x.B).ToList()),
                MeanAfterS = Stats.Mean(l.Select(x => x.A).ToList()),
                MeanShiftS = shift,
                MeanShiftIntervalS = Stats.Percentile95(boot.Select(b => b.Shift)),
                SigmaBeforeS = Math.Sqrt(Stats.Variance(l.Select(x => x.B).ToList())),
                SigmaAfterS = Math.Sqrt(Stats.Variance(l.Select(x => x.A).ToList())),
                SigmaGrowthS = growth,
                SigmaGrowthIntervalS = Stats.Percentile95(boot.Select(b => b.Growth)),
                ChangeSigmaS = Math.Sqrt(Stats.Variance(l.Select(x => x.A - x.B).ToList())),
            });
        }

        var overTime = new List<RelaxationPoint>();
        foreach (var level in programmed.GroupBy(kv => kv.Value).OrderBy(g => g.Key))
        {
            foreach (var p in points)
            {
                var g = level.Where(kv => byCell.TryGetValue(kv.Key, out var c) && c.ContainsKey(p)).Select(kv => byCell[kv.Key][p]).ToList();
                if (g.Count > 0)
                {
                    overTime.Add(new RelaxationPoint(level.Key, p.T, p.Phase, Stats.Mean(g), g.Count > 1 ? Math.Sqrt(Stats.Variance(g)) : 0, g.Count));
                }
            }
        }

        var beforeKeys = pairs.Select(p => p.BeforeKey).ToHashSet();
        var afterKeys = pairs.Select(p => p.AfterKey).ToHashSet();
        double? Temperature(HashSet<(string? Phase, double T)> keys)
        {
            var t = reads.Where(r => r.TemperatureK is not null && keys.Contains((r.Phase, Math.Round(r.T, 6)))).Select(r => r.TemperatureK!.Value).ToList();
            return t.Count > 0 ? Stats.Median(t) : null;
        }

        var beforeSeconds = Stats.Median(pairs.Select(p => p.BeforeKey.T));
        var afterSeconds = Stats.Median(pairs.Select(p => p.AfterKey.T));
        string Label(IEnumerable<(string? Phase, double T)> keys, int phaseIndex) => phases.Count >= 2
            ? phases[phaseIndex]
            : string.Create(CultureInfo.InvariantCulture, $"t = {Stats.Median(keys.Select(k => k.T)):G4} s");
        return new RelaxationModel
        {
            Before = Label(beforeKeys, 0),
            After = Label(afterKeys, phases.Count - 1),
            BeforeElapsedSeconds = beforeSeconds,
            AfterElapsedSeconds = afterSeconds,
            DurationSeconds = afterSeconds - beforeSeconds,
            BeforeTemperatureK = Temperature(beforeKeys),
            AfterTemperatureK = Temperature(afterKeys),
            Levels = [.. levels],
            OverTime = [.. overTime],
        };
    }
}

using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

namespace CimHil.Calibration;

/// <summary>The fits of how cells of the array differ: stuck-at rates and device-to-device spread.</summary>
public static partial class Calibrator
{
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
}

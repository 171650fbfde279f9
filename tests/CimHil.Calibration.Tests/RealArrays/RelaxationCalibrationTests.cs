using CimHil.Characterization.Import;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>Relaxation across a bake from long-format repeated reads: the shift, the spread's growth, the trajectory and the conditions.</summary>
public sealed class RelaxationCalibrationTests
{
    [Fact]
    public async Task LongFormatReadsAcrossABake_ShiftAndSpreadGrowthPerLevel_Recovered()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-relax-").FullName;
        var db = Path.Combine(dir, "store.db");

        // A program-and-verify file first (the model needs its levels), then the retention reads into the same store.
        var array = new TruthArray(31, [new TruthLevel(20e-6, 1e-6, 6e-6), new TruthLevel(60e-6, 1e-6, 6e-6)], 200);
        await File.WriteAllTextAsync(Path.Combine(dir, "pv.csv"), array.CsvMicrosiemens());
        // The first import declares the whole array: the retention file reaches cells the program-and-verify file has not,
        // and an import into an existing store must lie inside the store's array.
        var pvMap = TruthArray.CsvMicrosiemensMap.Replace("\"fields\"", $"\"geometry\": {{ \"rows\": {TruthArray.Rows}, \"columns\": {TruthArray.Columns} }},\n  \"fields\"", StringComparison.Ordinal);
        await MeasurementImporter.ImportAsync([Path.Combine(dir, "pv.csv")], ImportMapping.Parse(pvMap), db, new ImportOptions(), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(dir, "bake.txt"), new TruthRetention(32).Text);
        await MeasurementImporter.ImportAsync([Path.Combine(dir, "bake.txt")], ImportMapping.Parse(TruthRetention.Map), db, new ImportOptions(), CancellationToken.None);

        DeviceVariationModel model;
        using (var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            model = Calibrator.Fit(store, "bake", new CalibrationOptions { BootstrapSamples = 60 });
        }

        var r = model.Relaxation!;
        Assert.Equal("pre-bake", r.Before);
        Assert.Equal("post-bake", r.After);

        // Before is each cell's last pre-bake read (10 min), after its first post-bake read (2 h).
        Assert.Equal(600, r.BeforeElapsedSeconds!.Value, 6);
        Assert.Equal(7200, r.AfterElapsedSeconds!.Value, 6);
        Assert.Equal(6600, r.DurationSeconds!.Value, 6);
        Assert.Equal(300.15, r.BeforeTemperatureK!.Value, 9);
        Assert.Equal(358.15, r.AfterTemperatureK!.Value, 9);

        Assert.Equal(TruthRetention.TargetsS.Length, r.Levels.Length);
        var n = TruthRetention.CellsPerLevel;
        for (var i = 0; i < r.Levels.Length; i++)
        {
            var l = r.Levels[i];
            Assert.Equal(TruthRetention.TargetsS[i], l.TargetS, 1e-12);
            Assert.Equal(n, l.Cells);

            // Mean shift: truth −δ·target (E G_b = target); 4 SE of a paired mean, σ_change/√n, plus 4 SE of the
            // before-mean that δ multiplies (δ·σ0/√n).
            var shiftTolerance = (4 * TruthRetention.ChangeSigmaS(i) / Math.Sqrt(n)) + (4 * TruthRetention.Delta[i] * TruthRetention.Sigma0S / Math.Sqrt(n));
            var shiftTruth = -TruthRetention.Delta[i] * TruthRetention.TargetsS[i];
            Assert.True(Math.Abs(l.MeanShiftS - shiftTruth) <= shiftTolerance, $"level {i}: shift {l.MeanShiftS:E3}, truth {shiftTruth:E3} ± {shiftTolerance:E3}");
            Assert.True(l.MeanShiftIntervalS!.Contains(l.MeanShiftS));

            // σ after: 4 SE of a sample σ, σ/√(2(n − 1)); σ² growth: 4 × √(2(σa⁴ + σb⁴)/(n − 1)) (the covariance of the
            // paired σ² only shrinks it, so this is conservative).
            var sa = TruthRetention.SigmaAfterS(i);
            var sb = TruthRetention.Sigma0S;
            Assert.InRange(l.SigmaAfterS, sa - (4 * sa / Math.Sqrt(2.0 * (n - 1))) - TruthRetention.ReadSigmaS, sa + (4 * sa / Math.Sqrt(2.0 * (n - 1))) + TruthRetention.ReadSigmaS);
            var growth2Tolerance = 4 * Math.Sqrt(2 * (Math.Pow(sa, 4) + Math.Pow(sb, 4)) / (n - 1));
            var growth2Truth = (sa * sa) - (sb * sb);
            Assert.True(Math.Abs((l.SigmaGrowthS * l.SigmaGrowthS) - growth2Truth) <= growth2Tolerance, $"level {i}: σ² growth {l.SigmaGrowthS * l.SigmaGrowthS:E3}, truth {growth2Truth:E3} ± {growth2Tolerance:E3}");
            Assert.True(Math.Abs(l.ChangeSigmaS - TruthRetention.ChangeSigmaS(i)) <= 4 * TruthRetention.ChangeSigmaS(i) / Math.Sqrt(2.0 * (n - 1)));
        }

        // Over time: every level at the four read times, in order, with the second post-bake read relaxed further.
        foreach (var target in TruthRetention.TargetsS)
        {
            var pts = r.OverTime.Where(p => Math.Abs(p.TargetS - target) < 1e-12).ToList();
            Assert.Equal([60.0, 600.0, 7200.0, 86400.0], pts.Select(p => Math.Round(p.ElapsedSeconds, 6)));
            Assert.Equal(["pre-bake", "pre-bake", "post-bake", "post-bake"], pts.Select(p => p.Phase));
            Assert.True(pts[3].MeanS < pts[2].MeanS && pts[2].MeanS < pts[1].MeanS);
        }
    }
}

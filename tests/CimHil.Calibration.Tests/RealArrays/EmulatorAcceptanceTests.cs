using CimHil.Characterization.Import;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Devices;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// Issue #16 acceptance against the emulator's ground truth: a 32×32 RRAM array of the emulator is programmed and verified
/// to four levels (<see cref="EmulatedArray"/>), written in the foreign layouts (headerless TSV in ohms with windows and
/// pulse counts, CSV with a header in µS, HDF5, long-format repeated reads with times and a phase), imported with the
/// importer and calibrated. Per-level failure rate, spread of the verified cells and relaxation must match what the
/// emulator says, within tolerances derived from the sample size (the formula is written beside each check).
/// </summary>
public sealed class EmulatorAcceptanceTests(EmulatedArrayFixture fixture) : IClassFixture<EmulatedArrayFixture>
{
    private const int Bootstrap = 60;

    private EmulatedArray A => fixture.Array;

    [Fact]
    public async Task HeaderlessTsvInOhms_FromTheEmulator_FailureRateAndSpreadMatchTheGroundTruth()
    {
        var model = await ImportAndFitAsync("pv.tsv", A.HeaderlessTsvOhms(), EmulatedArray.HeaderlessTsvOhmsMap);
        AssertAgainstGroundTruth(model);

        // The window in the file lets the truncated families compete; whatever wins, its window is the verify window.
        Assert.All(model.Programming.Levels, l => Assert.Contains(l.Distribution!.Candidates, c => c.Family == LevelFamily.TruncatedNormal));
    }

    [Fact]
    public async Task CsvWithHeaderInMicrosiemens_FromTheEmulator_FailureRateAndSpreadMatchTheGroundTruth()
    {
        var model = await ImportAndFitAsync("pv.csv", A.CsvMicrosiemens(), TruthArray.CsvMicrosiemensMap);
        AssertAgainstGroundTruth(model);
    }

    [Fact]
    public async Task Hdf5File_FromTheEmulator_FailureRateAndSpreadMatchTheGroundTruth()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-emu-accept-").FullName;
        var model = await FitAsync([A.Hdf5(dir)], TruthArray.Hdf5Map, dir);
        AssertAgainstGroundTruth(model);
    }

    [Fact]
    public async Task LongFormatRepeatedReads_FromTheEmulator_RelaxationMatchesFractionAndTauOfTheGroundTruth()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-emu-accept-").FullName;
        var db = Path.Combine(dir, "store.db");
        await File.WriteAllTextAsync(Path.Combine(dir, "pv.tsv"), A.HeaderlessTsvOhms());
        await MeasurementImporter.ImportAsync([Path.Combine(dir, "pv.tsv")], ImportMapping.Parse(EmulatedArray.HeaderlessTsvOhmsMap), db, new ImportOptions(), CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(dir, "reads.txt"), A.LongFormatRetention());
        await MeasurementImporter.ImportAsync([Path.Combine(dir, "reads.txt")], ImportMapping.Parse(EmulatedArray.LongFormatRetentionMap), db, new ImportOptions(), CancellationToken.None);
        DeviceVariationModel model;
        using (var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            model = Calibrator.Fit(store, "emulator", new CalibrationOptions { BootstrapSamples = Bootstrap });
        }

        var r = model.Relaxation!;
        Assert.Equal("as-programmed", r.Before);
        Assert.Equal("relaxed", r.After);
        Assert.Equal(EmulatedArray.RelaxedSeconds[0], r.AfterElapsedSeconds!.Value, 6);
        Assert.Equal(EmulatedArray.TargetsS.Length, r.Levels.Length);
        var truth = A.Truth;
        for (var level = 0; level < r.Levels.Length; level++)
        {
            var l = r.Levels[level];
            var cells = A.InLevel(level).Where(c => c.Verified).ToList();
            var n = cells.Count;
            Assert.Equal(n, l.Cells);

            // The relaxation the emulator applies to cell i between its final read (t0 after its last pulse) and the first
            // relaxed read (t1): its transient a = f·Δ − ε (Δ its last programmed change, f its relaxation fraction,
            // ε ~ N(0, (σ_relax·G)²) the settling scatter) decays as a·e^(−t/τ), so the change is −a·w with
            // w = e^(−t0/τ) − e^(−t1/τ) (EmulatedChip.Rram.cs, Program and RramConductance).
            var predicted = new List<double>();
            var scatter2 = 0.0;
            foreach (var c in cells)
            {
                var i = truth.IndexOf(new CellAddress(c.Row, c.Column));
                var tau = truth.RelaxationTimeSeconds[i];
                var t1 = c.RelaxedElapsedSeconds[0];
                var t0 = t1 - EmulatedArray.RelaxedSeconds[0];
                var w = Math.Exp(-t0 / tau) - Math.Exp(-t1 / tau);
                predicted.Add(-truth.RelaxationFraction[i] * c.LastStepS * w);
                scatter2 += Math.Pow(truth.Settings.Rram.RelaxationNoiseRelative * c.TrueFinalS * w, 2);
            }

            var settleSigma = Math.Sqrt(scatter2 / n);

            // Read noise of the paired change of one cell: two means of k reads, σ_r·√(2/k).
            var oneRead = Math.Sqrt(cells.Average(c => c.ReadSigmaS * c.ReadSigmaS));
            var readSigma = oneRead * Math.Sqrt(2.0 / EmulatedArray.Reads);

            // 1. Mean shift against the emulator's true conductances (noise-free) of the same cells at the same moments:
            // only the read noise separates them, 4 SE = 4·σ_r/√n.
            var trueShift = cells.Average(c => c.TrueRelaxedS[0] - c.TrueFinalS);
            var readTolerance = 4 * readSigma / Math.Sqrt(n);
            Assert.True(Math.Abs(l.MeanShiftS - trueShift) <= readTolerance, $"level {level}: shift {l.MeanShiftS:E3}, true {trueShift:E3} ± {readTolerance:E3}");

            // 2. Mean shift against the prediction from f, τ and Δ alone: the mean of ε·w is unknown, 4 SE = 4·σ_ε·w/√n, plus
            // the read noise as above.
            var predictedShift = predicted.Average();
            var predictionTolerance = (4 * settleSigma / Math.Sqrt(n)) + readTolerance;
            Assert.True(Math.Abs(l.MeanShiftS - predictedShift) <= predictionTolerance, $"level {level}: shift {l.MeanShiftS:E3}, predicted from f and τ {predictedShift:E3} ± {predictionTolerance:E3}");

            // 3. Spread after relaxation against the σ of the true conductances: the sample σ of the read noise of a mean of
            // k reads is at most σ_r/√k·(1 + 4/√(2(n − 1))) (4 SE of a sample σ), and σ(x + e) differs from σ(x) by at most σ(e).
            var trueAfter = Math.Sqrt(Stats.Variance(cells.Select(c => c.TrueRelaxedS[0]).ToList()));
            var sigmaTolerance = oneRead / Math.Sqrt(EmulatedArray.Reads) * (1 + (4 / Math.Sqrt(2.0 * (n - 1))));
            Assert.True(Math.Abs(l.SigmaAfterS - trueAfter) <= sigmaTolerance, $"level {level}: σ after {l.SigmaAfterS:E3}, true {trueAfter:E3} ± {sigmaTolerance:E3}");

            // 4. The σ of the paired changes against the prediction √(Var(f·Δ·w) + σ_ε²): 4 SE of a sample σ,
            // σ/√(2(n − 1)), plus the read noise of the change (σ_r, see above).
            var changeSigma = Math.Sqrt(Stats.Variance(predicted) + (settleSigma * settleSigma));
            var changeTolerance = (4 * changeSigma / Math.Sqrt(2.0 * (n - 1))) + readSigma;
            Assert.True(Math.Abs(l.ChangeSigmaS - changeSigma) <= changeTolerance, $"level {level}: change σ {l.ChangeSigmaS:E3}, predicted {changeSigma:E3} ± {changeTolerance:E3}");

            // The spread grows (the settling scatter adds to it), and the growth is what the two σ make of it, √max(0, σa² − σb²).
            Assert.True(l.SigmaAfterS > l.SigmaBeforeS, $"level {level}: σ {l.SigmaBeforeS:E3} → {l.SigmaAfterS:E3}");
            Assert.Equal(Math.Sqrt(Math.Max(0, (l.SigmaAfterS * l.SigmaAfterS) - (l.SigmaBeforeS * l.SigmaBeforeS))), l.SigmaGrowthS, 1e-15);
        }

        // Over time: the means at 0, 60 and 600 s; relaxation is over after a few τ (τ ≈ 10 s), so 60 s and 600 s agree
        // within 4 SE of the read noise of a paired mean, 4·σ_r/√n (σ_r at the highest level bounds all).
        var sr = A.Cells.Where(c => c.Verified).Max(c => c.ReadSigmaS);
        foreach (var target in EmulatedArray.TargetsS)
        {
            var pts = r.OverTime.Where(p => Math.Abs(p.TargetS - target) < 1e-12).ToList();
            Assert.Equal([0.0, 60.0, 600.0], pts.Select(p => Math.Round(p.ElapsedSeconds, 6)));
            Assert.True(Math.Abs(pts[2].MeanS - pts[1].MeanS) <= 4 * sr / Math.Sqrt(pts[1].Cells), $"{target:E3}: {pts[1].MeanS:E4} then {pts[2].MeanS:E4}");
        }
    }

    /// <summary>Failure rate against the emulator's faults, spread of the verified cells against their true conductances.</summary>
    private void AssertAgainstGroundTruth(DeviceVariationModel model)
    {
        Assert.Equal(EmulatedArray.TargetsS.Length, model.Programming.Levels.Length);
        for (var level = 0; level < EmulatedArray.TargetsS.Length; level++)
        {
            var l = model.Programming.Levels[level];
            var v = l.Verification!;
            var attempted = A.InLevel(level).Count();
            Assert.Equal(EmulatedArray.TargetsS[level], l.TargetS, 1e-6 * EmulatedArray.TargetsS[level]);
            Assert.Equal(attempted, v.Attempted);

            // Stuck cells never verify and the loop verifies every healthy cell: the failures are exactly the faulty cells
            // of EmulatorGroundTruth.Faults.
            Assert.Equal(A.Faulty(level), v.Failed);

            // Against the configured rate p (stuck-on + stuck-off): 4 binomial SE, 4·√(p(1 − p)/n).
            var p = A.ConfiguredFailureRate;
            var failureTolerance = 4 * Math.Sqrt(p * (1 - p) / attempted);
            Assert.True(Math.Abs(v.FailureRate - p) <= failureTolerance, $"level {level}: failure rate {v.FailureRate:P2}, configured {p:P2} ± {failureTolerance:P2}");
            Assert.True(v.FailureRateInterval!.Contains(p), $"level {level}: the CI {v.FailureRateInterval} misses the configured rate {p:P2}");

            // Spread of the verified cells against the σ of their true conductances at the final read (the emulator's
            // programming precision under this verify loop). The calibrated σ is that of the means of k noisy reads:
            // σ(x + e) differs from σ(x) by at most σ(e) ≤ σ_r/√k·(1 + 4/√(2(n − 1))); outliers the calibration set aside
            // (none expected inside a ±1 µS window) change the sample, 4 SE of a sample σ, σ/√(2(n − 1)), covers that.
            var verified = A.InLevel(level).Where(c => c.Verified).ToList();
            var n = verified.Count;
            var trueSigma = Math.Sqrt(Stats.Variance(verified.Select(c => c.TrueFinalS).ToList()));
            var readSigma = Math.Sqrt(verified.Average(c => c.ReadSigmaS * c.ReadSigmaS));
            var tolerance = (readSigma / Math.Sqrt(EmulatedArray.Reads) * (1 + (4 / Math.Sqrt(2.0 * (n - 1))))) + (v.Outliers == 0 ? 0 : 4 * trueSigma / Math.Sqrt(2.0 * (n - 1)));
            Assert.True(Math.Abs(l.SigmaS - trueSigma) <= tolerance, $"level {level}: σ {l.SigmaS:E3}, true {trueSigma:E3} ± {tolerance:E3}");
            Assert.True(v.Outliers <= 2, $"level {level}: {v.Outliers} outliers in a verified population");

            // The verify window bounds the programming precision: a read inside ±tol, so the true σ is at most the half
            // window plus the read noise of one verify read (4 σ_r).
            Assert.True(trueSigma <= EmulatedArray.ToleranceS + (4 * readSigma), $"level {level}: true σ {trueSigma:E3} wider than the verify window");
        }
    }

    private static async Task<DeviceVariationModel> ImportAndFitAsync(string fileName, string text, string map)
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-emu-accept-").FullName;
        var file = Path.Combine(dir, fileName);
        await File.WriteAllTextAsync(file, text);
        return await FitAsync([file], map, dir);
    }

    private static async Task<DeviceVariationModel> FitAsync(IReadOnlyList<string> files, string map, string dir)
    {
        var db = Path.Combine(dir, "store.db");
        await MeasurementImporter.ImportAsync(files, ImportMapping.Parse(map), db, new ImportOptions(), CancellationToken.None);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return Calibrator.Fit(store, "emulator", new CalibrationOptions { BootstrapSamples = Bootstrap });
    }
}

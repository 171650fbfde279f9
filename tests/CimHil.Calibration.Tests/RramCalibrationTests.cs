using System.Text.Json;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Emulator;

namespace CimHil.Calibration.Tests;

/// <summary>
/// Acceptance on RRAM: the default characterisation of a 64×64 emulated array, calibrated, recovers the emulator's ground truth.
/// Each tolerance is stated next to its check and derived from the sample size behind the estimate.
/// </summary>
public sealed class RramCalibrationTests(RramRunFixture fixture) : IClassFixture<RramRunFixture>
{
    private EmulatorRun Run => fixture.Run;

    private DeviceVariationModel Model => Run.Model;

    private RramPhysics Physics => Run.Truth.Settings.Rram;

    private static void Near(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{what}: expected {expected:G5} ± {relative:P0}, got {actual:G5}");

    [Fact]
    public void Window_IsTheMedianFullSetAndFullResetConductance()
    {
        // Medians of ~4080 healthy cells: sampling error < 0.3 %; read noise (1–3 %) is symmetric. Tolerance 3 %.
        Near(Stats.Median(Run.HealthyCells().Select(i => Run.Truth.MaxConductanceS[i])), Model.Window.MaxS, 0.03, "window max");
        Near(Stats.Median(Run.HealthyCells().Select(i => Run.Truth.MinConductanceS[i])), Model.Window.MinS, 0.03, "window min");
    }

    [Fact]
    public void DeviceToDevice_LogSigmaOfTheWindowEnds_IsRecovered()
    {
        // σ of ln G over n ≈ 4080 cells has a relative standard error 1/√(2n) ≈ 1.1 %; tolerance 10 % also covers the
        // read-noise correction. Compared with the σ of the cells actually fabricated (and the configured σ).
        var d2d = Model.DeviceToDevice!;
        var lnMax = Run.HealthyCells().Select(i => Math.Log(Run.Truth.MaxConductanceS[i])).ToList();
        var lnMin = Run.HealthyCells().Select(i => Math.Log(Run.Truth.MinConductanceS[i])).ToList();
        Near(Math.Sqrt(Stats.Variance(lnMax)), d2d.MaxLogSigma, 0.10, "σ ln Gmax");
        Near(Math.Sqrt(Stats.Variance(lnMin)), d2d.MinLogSigma, 0.10, "σ ln Gmin");
        Near(Physics.MaxConductanceS.Sigma, d2d.MaxLogSigma, 0.15, "σ ln Gmax vs configured");
        Near(Physics.MinConductanceS.Sigma, d2d.MinLogSigma, 0.15, "σ ln Gmin vs configured");
        Assert.True(d2d.MaxLogSigmaInterval!.Low <= d2d.MaxLogSigma && d2d.MaxLogSigma <= d2d.MaxLogSigmaInterval.High);
        Assert.Equal("kolmogorov-smirnov", d2d.Fit!.Test);
    }

    [Fact]
    public void CycleToCycle_RelativeSigma_IsRecovered()
    {
        // 64 cells × 10 repeats: the pooled variance has 576 degrees of freedom, relative SE √(2/576) ≈ 5.9 % → 3 % on σ.
        // Tolerance 15 %: 3 SE plus the spread of the start state within the verify tolerance.
        var c2c = Model.CycleToCycle!;
        Near(Physics.CycleToCycleSigma, c2c.RelativeSigma, 0.15, "c2c σ");
        Assert.Equal(64, c2c.Cells);
    }

    [Fact]
    public void ReadNoise_SigmaOfG_IsRecoveredAtEveryMeasuredLevel()
    {
        // Truth: σ = s_cell·(a0 + a1·G) with s lognormal(0, σ_s); the population rms is exp(σ_s²)·(a0 + a1·G).
        // 32 cells per level, s² varies with CV ≈ 0.42 → SE of σ per level ≈ 3.7 %; tolerance 12 % (3 SE).
        var rms = Math.Exp(Physics.ReadNoiseScale.Sigma * Physics.ReadNoiseScale.Sigma);
        foreach (var level in Model.Programming.Levels)
        {
            var g = level.TargetS;
            var truth = rms * (Physics.ReadNoiseFloorS + (Physics.ReadNoiseRelative * g));
            Near(truth, Model.ReadNoise.SigmaS.Evaluate(Model.Window.Normalise(g)), 0.12, $"σ_read at {g * 1e6:F0} µS");
        }

        // The per-cell strength spread: 256 cells; tolerance 25 %.
        Near(Physics.ReadNoiseScale.Sigma, Model.ReadNoise.CellSpreadLogSigma!.Value, 0.25, "read-noise cell spread");
    }

    [Fact]
    public async Task EmulatorRun_LoggedAsAForeignTsvInOhms_ImportedAndCalibrated_GivesTheBenchFit()
    {
        // The emulator's program-and-verify results, written the way another lab logs them, imported and calibrated:
        // the same cells failed, the same outliers, and the same per-level σ as the bench path (the only difference is the
        // R = 1/G round trip through text, relative 1e-15, and the window taken from the file instead of the plan).
        var dir = Directory.CreateTempSubdirectory("cimhil-emu-tsv-").FullName;
        var file = Path.Combine(dir, "emulator.tsv");
        using (var bench = MeasurementStore.Open(Run.DatabasePath, DateTimeOffset.UtcNow, readOnly: true))
        {
            await File.WriteAllTextAsync(file, RealArrays.EmulatorExport.HeaderlessTsvOhms(bench, 64, Run.Plan.Verify.ToleranceS));
        }

        var db = Path.Combine(dir, "imported.db");
        await CimHil.Characterization.Import.MeasurementImporter.ImportAsync([file], CimHil.Characterization.Import.ImportMapping.Parse(RealArrays.TruthArray.HeaderlessTsvOhmsMap), db, new CimHil.Characterization.Import.ImportOptions(), CancellationToken.None);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var imported = Calibrator.Fit(store, "imported", new CalibrationOptions { BootstrapSamples = 20 });

        Assert.Equal(Model.Programming.Levels.Length, imported.Programming.Levels.Length);
        for (var i = 0; i < Model.Programming.Levels.Length; i++)
        {
            var (b, m) = (Model.Programming.Levels[i], imported.Programming.Levels[i]);
            Assert.Equal(b.Verification!.Attempted, m.Verification!.Attempted);
            Assert.Equal(b.Verification.Failed, m.Verification.Failed);
            Assert.Equal(b.Verification.Outliers, m.Verification.Outliers);
            Assert.Equal(b.Count, m.Count);
            Assert.Equal(b.SigmaS, m.SigmaS, 1e-9 * b.SigmaS);
            Assert.Equal(b.Verification.WindowLowS!.Value, m.Verification.WindowLowS!.Value, 1e-12);
        }
    }

    [Fact]
    public void StuckAt_RatesEqualTheFabricatedFaults_AndTheConfiguredRates()
    {
        var n = (double)Run.Truth.Geometry.CellCount;
        Assert.Equal(Run.Truth.StuckOnCount / n, Model.StuckAt.StuckOnRate, 12);
        Assert.Equal(Run.Truth.StuckOffCount / n, Model.StuckAt.StuckOffRate, 12);

        // Binomial: the realised rate is within 3·√(p(1 − p)/n) of the configured one.
        Assert.InRange(Model.StuckAt.StuckOnRate, Physics.StuckOnRate - (3 * Math.Sqrt(Physics.StuckOnRate / n)), Physics.StuckOnRate + (3 * Math.Sqrt(Physics.StuckOnRate / n)));
        Assert.InRange(Model.StuckAt.StuckOffRate, Physics.StuckOffRate - (3 * Math.Sqrt(Physics.StuckOffRate / n)), Physics.StuckOffRate + (3 * Math.Sqrt(Physics.StuckOffRate / n)));
        var stuckOn = Enumerable.Range(0, (int)n).Where(i => Run.Truth.Faults[i] == CellFault.StuckOn).Select(i => Run.Truth.StuckConductanceS[i]);
        Near(Stats.Median(stuckOn), Model.StuckAt.StuckOnConductanceS, 0.05, "stuck-on G");
    }

    [Fact]
    public void Programming_LevelsAreWithinTheVerifyToleranceAndThePolynomialFollowsThem()
    {
        var tol = Run.Plan.Verify.ToleranceS;
        Assert.Equal(Run.Plan.Multilevel!.TargetsS.Length, Model.Programming.Levels.Length);
        foreach (var l in Model.Programming.Levels)
        {
            // Verify accepts within ±tol; what remains is relaxation and read noise, smaller than tol here.
            Assert.InRange(l.OffsetS, -tol, tol);
            Assert.InRange(l.SigmaS, 0.2 * tol, 1.5 * tol);
            Assert.True(l.SigmaIntervalS!.Contains(l.SigmaS));
            Assert.NotNull(l.Fit);
            Near(l.SigmaS, Model.Programming.SigmaS.Evaluate(Model.Window.Normalise(l.TargetS)), 0.15, $"σ polynomial at {l.TargetS * 1e6:F0} µS");
        }
    }

    [Fact]
    public void Model_CarriesTheRunsProvenance_AndRoundTripsThroughTheFile()
    {
        var p = Model.Provenance;
        Assert.Equal(32, p.RunId!.Length);
        Assert.Equal("emulator", p.Driver);
        Assert.Contains("EMU-0001", p.ChipId, StringComparison.Ordinal);
        var path = Path.Combine(Path.GetDirectoryName(Run.DatabasePath)!, "model.json");
        DeviceModelFile.Save(Model, path);
        var loaded = DeviceModelFile.Load(path);
        Assert.Equal(Model.Window, loaded.Window);
        Assert.Equal(Model.Programming.SigmaS.Coefficients.ToArray(), loaded.Programming.SigmaS.Coefficients.ToArray());
        Assert.Equal(Model.CycleToCycle!.RelativeSigma, loaded.CycleToCycle!.RelativeSigma);
        Assert.Equal(DeviceTechnology.Rram, loaded.Technology);
    }

    [Fact]
    public void RecordsOfAbortedAttempts_AreIgnored_TheModelIsTheSame()
    {
        // A copy of the run, plus what aborted attempts leave in a store (measurements taken in a session that did not
        // finish their unit): absurd values in every role the calibration reads. The fit must not see them.
        var copy = Path.Combine(Path.GetDirectoryName(Run.DatabasePath)!, "with-aborted-attempts.db");
        File.Copy(Run.DatabasePath, copy);
        using (var store = MeasurementStore.Open(copy, DateTimeOffset.UtcNow))
        {
            var batch = store.BeginBatch();
            var roles = new Dictionary<string, string[]>
            {
                ["stuckMap"] = ["set", "reset"],
                ["multilevel"] = ["verify", "final"],
                ["cycleToCycle"] = ["final", "probe"],
                ["readNoise"] = ["noise"],
                ["drift"] = ["drift"],
            };
            foreach (var u in store.Units().Where(u => roles.ContainsKey(u.Key.Procedure)))
            {
                var seq = 100_000;
                foreach (var role in roles[u.Key.Procedure])
                {
                    batch.Add(Measurement.FromRead(new RecordKey(u.Key.Procedure, u.Key.Row, u.Key.Column, u.Key.Step, seq++), role, 0.2, 0.2 * 900e-6, DateTimeOffset.UnixEpoch.AddDays(400), u.TargetS, 1e6));
                }
            }

            batch.Commit(DateTimeOffset.UtcNow);
            Assert.True(store.Counts().Measurements > store.Measurements().LongCount());
        }

        using var readBack = MeasurementStore.Open(copy, DateTimeOffset.UtcNow, readOnly: true);
        var refit = Calibrator.Fit(readBack, Model.Name, new CalibrationOptions { BootstrapSamples = 100 }) with { Provenance = Model.Provenance };
        Assert.Equal(JsonSerializer.Serialize(Model, DeviceModelFile.JsonOptions), JsonSerializer.Serialize(refit, DeviceModelFile.JsonOptions));
    }

    [Fact]
    public void DefaultCharacterisationAndCalibration_Of64x64_TakesSecondsNotMinutes()
    {
        // Generous for a loaded 2-core CI machine; a quiet one takes a few seconds.
        Assert.True(Run.Seconds < 120, $"{Run.Seconds:F1} s");
    }
}

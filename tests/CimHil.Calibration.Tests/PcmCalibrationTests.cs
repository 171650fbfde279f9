using CimHil.Core.Devices;
using CimHil.Emulator;

namespace CimHil.Calibration.Tests;

/// <summary>Acceptance on PCM: the aihwkit-like statistics of the emulator are recovered from the default characterisation.</summary>
public sealed class PcmCalibrationTests(PcmRunFixture fixture) : IClassFixture<PcmRunFixture>
{
    private EmulatorRun Run => fixture.Run;

    private DeviceVariationModel Model => Run.Model;

    private PcmPhysics Physics => Run.Truth.Settings.Pcm;

    private static void Near(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{what}: expected {expected:G5} ± {relative:P0}, got {actual:G5}");

    [Fact]
    public void ProgrammingNoise_IsThePublishedSigmaPolynomial_AtEveryLevel()
    {
        // ≈512 cells per level: relative SE of σ is 1/√(2n) ≈ 3.1 %; tolerance 12 % (3 SE + the read-noise correction).
        foreach (var l in Model.Programming.Levels)
        {
            Near(Physics.ProgrammingSigmaS(l.TargetS), l.NoiseSigmaS!.Value, 0.12, $"σ_prog at {l.TargetS * 1e6:F0} µS");
        }
    }

    [Fact]
    public void ProgrammingSigmaPolynomial_IsTheNoisePlusTheVerifyResidual()
    {
        // Relative to the target, the error also holds the verify residual (≈ uniform in ±tol, variance tol²/3).
        // Tolerance 15 %: 3 SE (≈ 9 %) plus the imperfect uniformity of that residual.
        var tol = Run.Plan.Verify.ToleranceS;
        foreach (var l in Model.Programming.Levels)
        {
            var expected = Math.Sqrt(Math.Pow(Physics.ProgrammingSigmaS(l.TargetS), 2) + (tol * tol / 3));
            Near(expected, Model.Programming.SigmaS.Evaluate(Model.Window.Normalise(l.TargetS)), 0.15, $"σ(x) at {l.TargetS * 1e6:F0} µS");
        }
    }

    [Fact]
    public void ReadNoise_IsThe1OverFLaw_AtTheTimeItWasMeasured()
    {
        // 1/f noise σ/G = Q_s(G)·√ln((t + t_read)/(2 t_read)) (aihwkit); 256 cells × 32 reads; tolerance 10 %.
        var t = Model.ReadNoise.SecondsAfterProgramming!.Value;
        Assert.Equal(Run.Plan.Verify.SettleSeconds, t, 6);
        foreach (var l in Model.Programming.Levels)
        {
            var g = l.MeanS!.Value;
            Near(g * Physics.ReadNoiseRelative(g, t), Model.ReadNoise.SigmaS.Evaluate(Model.Window.Normalise(g)), 0.10, $"σ_read at {g * 1e6:F1} µS");
        }
    }

    [Fact]
    public void Drift_NuMeanAndSpread_AreRecoveredPerLevel()
    {
        // The true ν of every sampled cell is known; ≈64 cells per level. Per-cell ν̂ has SE ≈ 0.01, so the level mean
        // is within ±0.005 (3 SE + smoothing); the spread's relative SE is ≈ 9 %, tolerance 30 %.
        var drift = Model.Drift!;
        Assert.Equal(Physics.DriftT0Seconds, drift.T0Seconds);
        using var store = Characterization.Store.MeasurementStore.Open(Run.DatabasePath, DateTimeOffset.UtcNow, readOnly: true);
        var programmed = store.Units(Characterization.Procedures.ProcedureNames.Drift).Where(u => u.Key.Step == 0 && u.Outcome == "converged").ToList();
        foreach (var level in programmed.GroupBy(u => u.TargetS))
        {
            var nu = level.Select(u => Run.Chip.DriftExponent(u.Key.Cell)).ToList();
            var x = Model.Window.Normalise(Stats.Mean(level.Select(u => u.ValueS!.Value).ToList()));
            Assert.InRange(drift.NuMean.Evaluate(x), Stats.Mean(nu) - 0.005, Stats.Mean(nu) + 0.005);
            Near(Math.Sqrt(Stats.Variance(nu)), drift.NuSigma.Evaluate(x), 0.30, $"σ_ν at {level.Key * 1e6:F0} µS");
        }
    }

    [Fact]
    public void Window_DeviceToDeviceAndCycleToCycle_AreRecovered()
    {
        var healthy = Run.HealthyCells().ToList();
        Near(Stats.Median(healthy.Select(i => Run.Truth.MaxConductanceS[i])), Model.Window.MaxS, 0.03, "window max");

        // Amorphous reads carry ~85 % read noise and the RESET's own cycle-to-cycle factor: the median is still within 15 %.
        Near(Stats.Median(healthy.Select(i => Run.Truth.MinConductanceS[i])), Model.Window.MinS, 0.15, "window min");
        Near(Math.Sqrt(Stats.Variance(healthy.Select(i => Math.Log(Run.Truth.MaxConductanceS[i])).ToList())), Model.DeviceToDevice!.MaxLogSigma, 0.10, "σ ln Gmax");

        // 64 cells × 10 repeats, 8 reads each side of the probe: tolerance 15 % as for RRAM.
        Near(Physics.CycleToCycleSigma, Model.CycleToCycle!.RelativeSigma, 0.15, "c2c σ");
    }

    [Fact]
    public void StuckAt_RatesEqualTheFabricatedFaults()
    {
        var n = (double)Run.Truth.Geometry.CellCount;
        Assert.Equal(Run.Truth.StuckOnCount / n, Model.StuckAt.StuckOnRate, 12);
        Assert.Equal(Run.Truth.StuckOffCount / n, Model.StuckAt.StuckOffRate, 12);
    }
}

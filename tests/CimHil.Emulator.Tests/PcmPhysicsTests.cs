using CimHil.Core.Chip;
using CimHil.Emulator;
using static CimHil.Emulator.Tests.TestChips;

namespace CimHil.Emulator.Tests;

public class PcmPhysicsTests
{
    [Fact]
    public void PublishedCoefficients_AreThoseOfAihwkitPcmLikeNoiseModel()
    {
        var m = new PcmPhysics();

        // σ_prog(G_max) = 0.26348 + 1.9650 − 1.1731 µS; ν at G_max: μ = clip(0.0244, 0.049, 0.1), σ = clip(−0.0059, 0.008, 0.045).
        Assert.Equal((0.26348 + 1.9650 - 1.1731) * 1e-6, m.ProgrammingSigmaS(25e-6), 1e-15);
        Assert.Equal(0.26348e-6, m.ProgrammingSigmaS(0), 1e-15);
        Assert.Equal(0.049, m.DriftNuMean(25e-6), 12);
        Assert.Equal(0.008, m.DriftNuSigma(25e-6), 12);
        Assert.Equal(0.1, m.DriftNuMean(0.01e-6), 12);
        Assert.Equal(20.0, m.DriftT0Seconds);

        // 1/f: Q_s = 0.0088 at G_max; σ/G = Q_s·sqrt(ln((t0 + t_read) / (2 t_read))) right after programming.
        Assert.Equal(0.0088 * Math.Sqrt(Math.Log((20 + 250e-9) / 500e-9)), m.ReadNoiseRelative(25e-6, 0), 12);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public async Task DriftExponent_FittedFromReadsAtVirtualTimes_RecoversPerCellNu(long seed)
    {
        await using var chip = new EmulatedChip(Pcm(16, 16, seed).WithoutStuckCells());
        var n = chip.Geometry.CellCount;
        foreach (var cell in chip.Geometry.All.Cells())
        {
            chip.ForceConductanceForTest(cell, 20e-6);
        }

        var t0 = chip.Settings.Pcm.DriftT0Seconds;
        var times = new[] { 0.0, 60, 600, 6e3, 6e4, 6e5, 6e6 };
        var x = times.Select(t => Math.Log((t + t0) / t0)).ToList();
        var logG = new double[n][];
        for (var i = 0; i < n; i++)
        {
            logG[i] = new double[times.Length];
        }

        const int readsPerPoint = 4;
        var elapsed = 0.0;
        for (var j = 0; j < times.Length; j++)
        {
            chip.VirtualClock.Advance(TimeSpan.FromSeconds(times[j] - elapsed));
            elapsed = times[j];
            var sum = new double[n];
            for (var k = 0; k < readsPerPoint; k++)
            {
                var block = await chip.ReadArrayAsync(0.2, Ct);
                Assert.Equal(VirtualClock.DefaultEpoch.AddSeconds(elapsed), block.Timestamp);
                for (var i = 0; i < n; i++)
                {
                    sum[i] += block.CurrentsA[i] / 0.2;
                }
            }

            for (var i = 0; i < n; i++)
            {
                logG[i][j] = Math.Log(sum[i] / readsPerPoint);
            }
        }

        var fitted = new List<double>();
        var errors = new List<double>();
        foreach (var cell in chip.Geometry.All.Cells())
        {
            var i = chip.GroundTruth.IndexOf(cell);
            var nuFit = -Slope(x, logG[i]);
            fitted.Add(nuFit);
            errors.Add(nuFit - chip.GroundTruth.DriftExponent(cell, 20e-6));
        }

        // Per-cell slope error from the read noise: σ_lnG / sqrt(Σ(x − x̄)²), σ_lnG ≈ relative read noise / √reads.
        var m = chip.Settings.Pcm;
        var sxx = x.Sum(v => (v - x.Average()) * (v - x.Average()));
        var slopeSigma = m.ReadNoiseRelative(20e-6, times[^1]) / Math.Sqrt(readsPerPoint) / Math.Sqrt(sxx);
        Assert.InRange(Mean(errors), -MeanTolerance(slopeSigma, n), MeanTolerance(slopeSigma, n));
        Assert.True(Std(errors) < slopeSigma * 1.2, $"per-cell ν error {Std(errors):G3} vs expected ≤ {slopeSigma:G3}");

        // The population follows the published state-dependent law: mean μ_ν(20 µS), spread σ_ν(20 µS) (plus fit noise).
        var mu = m.DriftNuMean(20e-6);
        var sigmaNu = m.DriftNuSigma(20e-6);
        var total = Math.Sqrt((sigmaNu * sigmaNu) + (slopeSigma * slopeSigma));
        Assert.InRange(Mean(fitted), mu - MeanTolerance(total, n), mu + MeanTolerance(total, n));
        Assert.InRange(Std(fitted), total - StdTolerance(total, n), total + StdTolerance(total, n));
    }

    [Theory]
    [InlineData(33)]
    [InlineData(34)]
    [InlineData(35)]
    public async Task ProgramAndVerify_ConvergesToTarget_WithThePublishedProgrammingNoiseAfterSettling(long seed)
    {
        var settings = Pcm(16, 16, seed).WithoutStuckCells();
        settings = settings with { Pcm = settings.Pcm with { DriftScale = 0 } };
        await using var chip = new EmulatedChip(settings);
        const double targetS = 10e-6;
        const double toleranceS = 0.3e-6;
        var deviations = new List<double>();
        var verified = new List<double>();
        foreach (var cell in chip.Geometry.All.Cells())
        {
            await chip.ApplyPulseAsync(cell, Reset(2.0, 100e-9), Ct);
            for (var k = 0; k < 200; k++)
            {
                var g = 0.0;
                for (var r = 0; r < 8; r++)
                {
                    g += (await chip.ReadCellAsync(cell, 0.2, Ct)).ConductanceS / 8;
                }

                if (Math.Abs(g - targetS) <= toleranceS)
                {
                    break;
                }

                await chip.ApplyPulseAsync(cell, g < targetS ? Set(0.72) : Reset(2.0, 100e-9), Ct);
            }

            verified.Add(chip.TrueConductanceS(cell));
        }

        Assert.InRange(Mean(verified), targetS - 0.2e-6, targetS + 0.2e-6);

        // The programming error develops after the last pulse, where verify cannot see it (see docs/emulator.md).
        chip.VirtualClock.Advance(TimeSpan.FromSeconds(20 * chip.Settings.Pcm.ProgrammingSettleSeconds));
        foreach (var (cell, k) in chip.Geometry.All.Cells().Select((c, k) => (c, k)))
        {
            deviations.Add(chip.TrueConductanceS(cell) - verified[k]);
        }

        var n = deviations.Count;
        var expected = chip.Settings.Pcm.ProgrammingSigmaS(targetS);
        Assert.InRange(Std(deviations), expected - StdTolerance(expected, n), expected + StdTolerance(expected, n));
        Assert.InRange(Mean(deviations), -MeanTolerance(expected, n), MeanTolerance(expected, n));
    }

    [Fact]
    public async Task SetPulses_RaiseConductance_AndResetMeltsBackNearZero()
    {
        await using var chip = new EmulatedChip(Pcm(1, 1, seed: 2).WithoutStuckCells());
        var cell = new CellAddress(0, 0);
        Assert.False(chip.Supports(ChipCapabilities.RequiresForming));
        var previous = chip.TrueConductanceS(cell);
        for (var k = 0; k < 10; k++)
        {
            await chip.ApplyPulseAsync(cell, Set(1.0), Ct);
            var g = chip.TrueConductanceS(cell);
            Assert.True(g > previous - (3 * chip.Settings.Pcm.ProgrammingSigmaS(g)), "SET pulses move toward higher conductance");
            previous = g;
        }

        Assert.True(previous > 10e-6);
        await chip.ApplyPulseAsync(cell, Reset(2.0, 100e-9), Ct);
        chip.VirtualClock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(chip.TrueConductanceS(cell) < 1.5e-6, "RESET quenches the cell amorphous");
    }

    [Fact]
    public async Task SetIncrement_GrowsWithAmplitudeAndWidth_AndShrinksTowardSaturation()
    {
        var settings = Pcm(1, 1, seed: 5).WithoutStuckCells();
        settings = settings with { Pcm = settings.Pcm with { CycleToCycleSigma = 0, ProgrammingNoiseScale = 0 } };
        await using var chip = new EmulatedChip(settings);
        var cell = new CellAddress(0, 0);

        async Task<double> StepAsync(double fromS, ProgramPulse pulse)
        {
            chip.ForceConductanceForTest(cell, fromS);
            await chip.ApplyPulseAsync(cell, pulse, Ct);
            return chip.TrueConductanceS(cell) - fromS;
        }

        var baseStep = await StepAsync(5e-6, Set(0.8));
        Assert.True(baseStep > 0);
        Assert.True(await StepAsync(5e-6, Set(1.0)) > baseStep);
        Assert.True(await StepAsync(5e-6, Set(0.8, widthSeconds: 4e-6)) > baseStep);
        Assert.True(await StepAsync(25e-6, Set(0.8)) < baseStep / 3);
        Assert.Equal(0, await StepAsync(5e-6, Set(0.4)));
        Assert.Equal(0, await StepAsync(5e-6, Reset(1.0)));
    }
}

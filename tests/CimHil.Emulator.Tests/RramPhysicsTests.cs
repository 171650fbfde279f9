using CimHil.Core.Chip;
using CimHil.Emulator;
using static CimHil.Emulator.Tests.TestChips;

namespace CimHil.Emulator.Tests;

public class RramPhysicsTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task DeviceToDeviceSpread_Of64x64Array_MatchesConfiguredSigma(long seed)
    {
        await using var chip = new EmulatedChip(Rram(64, 64, seed).WithoutStuckCells());
        await FormAllAsync(chip);
        var n = chip.Geometry.CellCount;
        const int readsPerCell = 16;

        // Strong SET pulses drive every cell to its own ceiling G_max; strong RESET pulses to its floor G_min.
        async Task<double[]> SaturateAndReadAsync(ProgramPulse pulse)
        {
            foreach (var cell in chip.Geometry.All.Cells())
            {
                for (var k = 0; k < 12; k++)
                {
                    await chip.ApplyPulseAsync(cell, pulse, Ct);
                }
            }

            var sum = new double[n];
            for (var k = 0; k < readsPerCell; k++)
            {
                var block = await chip.ReadArrayAsync(0.2, Ct);
                for (var i = 0; i < n; i++)
                {
                    sum[i] += block.CurrentsA[i] / 0.2 / readsPerCell;
                }
            }

            return sum;
        }

        var high = await SaturateAndReadAsync(Set(1.6));
        var sigmaMax = chip.Settings.Rram.MaxConductanceS.Sigma;
        var measuredMax = Std(high.Select(v => Math.Log(v)).ToList());
        Assert.InRange(measuredMax, sigmaMax - StdTolerance(sigmaMax, n), sigmaMax + StdTolerance(sigmaMax, n));

        var low = await SaturateAndReadAsync(Reset(1.8));
        var sigmaMin = chip.Settings.Rram.MinConductanceS.Sigma;
        var measuredMin = Std(low.Select(v => Math.Log(v)).ToList());
        Assert.InRange(measuredMin, sigmaMin - StdTolerance(sigmaMin, n), sigmaMin + StdTolerance(sigmaMin, n));

        // The measured levels are the drawn per-cell parameters, not just a population with the right spread.
        var truth = chip.GroundTruth;
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(truth.MaxConductanceS[i], high[i], truth.MaxConductanceS[i] * 0.02);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task CycleToCycleSpread_OfRepeatedIdenticalPulses_MatchesConfiguredSigma(long seed)
    {
        await using var chip = new EmulatedChip(Rram(4, 4, seed).WithoutStuckCells());
        var cell = new CellAddress(1, 2);
        var truth = chip.GroundTruth;
        var i = truth.IndexOf(cell);
        var r = chip.Settings.Rram;
        const double startS = 20e-6;
        const double amplitudeV = 0.95;
        const int n = 400;

        var steps = new List<double>();
        for (var k = 0; k < n; k++)
        {
            chip.ForceConductanceForTest(cell, startS);
            await chip.ApplyPulseAsync(cell, Set(amplitudeV), Ct);
            steps.Add(chip.TrueConductanceS(cell) - startS);
        }

        // Nominal step from the cell's own parameters: (G_max − G0)(1 − e^(−α·sinh((V − V_th)/V0))) for a 1 µs pulse.
        var drive = truth.SetRate[i] * Math.Sinh((amplitudeV - truth.SetThresholdV[i]) / r.RateVoltageScaleV);
        var nominal = (truth.MaxConductanceS[i] - startS) * -double.ExpM1(-drive);
        var sigma = r.CycleToCycleSigma;
        Assert.InRange(Mean(steps) / nominal, 1 - MeanTolerance(sigma, n), 1 + MeanTolerance(sigma, n));
        Assert.InRange(Std(steps) / nominal, sigma - StdTolerance(sigma, n), sigma + StdTolerance(sigma, n));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public async Task ReadNoise_AtTwoStates_MatchesStateDependentSigma(long seed)
    {
        await using var chip = new EmulatedChip(Rram(2, 2, seed).WithoutStuckCells());
        var cell = new CellAddress(0, 1);
        const int n = 2000;
        var sigmas = new List<double>();
        foreach (var g in new[] { 5e-6, 80e-6 })
        {
            chip.ForceConductanceForTest(cell, g);
            var reads = new List<double>();
            for (var k = 0; k < n; k++)
            {
                reads.Add((await chip.ReadCellAsync(cell, 0.1, Ct)).ConductanceS);
            }

            var expected = chip.GroundTruth.ReadNoiseSigmaS(cell, g);
            Assert.InRange(Std(reads), expected - StdTolerance(expected, n), expected + StdTolerance(expected, n));
            Assert.InRange(Mean(reads), g - MeanTolerance(expected, n), g + MeanTolerance(expected, n));
            sigmas.Add(Std(reads));
        }

        Assert.True(sigmas[1] > 3 * sigmas[0], "read noise grows with conductance");
    }

    [Fact]
    public async Task UnformedCell_DoesNotSwitch_UntilFormed()
    {
        await using var chip = new EmulatedChip(Rram(4, 4, seed: 2).WithoutStuckCells());
        var cell = new CellAddress(2, 2);
        var pristine = chip.GroundTruth.PristineConductanceS[chip.GroundTruth.IndexOf(cell)];
        Assert.True(chip.Supports(ChipCapabilities.RequiresForming));

        for (var k = 0; k < 5; k++)
        {
            await chip.ApplyPulseAsync(cell, Set(1.5), Ct);
        }

        Assert.False(chip.IsFormed(cell));
        Assert.Equal(pristine, chip.TrueConductanceS(cell));
        Assert.True(pristine < 0.5e-6, "unformed cells read a pristine, near-insulating conductance");

        var tooLow = await chip.FormAsync(cell, Form(amplitudeV: 1.5), Ct);
        Assert.False(tooLow.Formed);
        Assert.Equal(pristine, chip.TrueConductanceS(cell));

        var formed = await chip.FormAsync(cell, Form(amplitudeV: 4.0, complianceA: 20e-6), Ct);
        Assert.True(formed.Formed);
        Assert.True(formed.CurrentA <= 20e-6, "forming current is held at the compliance");
        var afterForming = chip.TrueConductanceS(cell);
        Assert.True(afterForming > 10 * pristine);

        await chip.ApplyPulseAsync(cell, Reset(1.6), Ct);
        Assert.True(chip.TrueConductanceS(cell) < afterForming / 2, "a formed cell switches");
    }

    [Fact]
    public async Task SetConductance_IsLimitedByComplianceAndGateVoltage()
    {
        await using var chip = new EmulatedChip(Rram(1, 3, seed: 4).WithoutStuckCells());
        await FormAllAsync(chip, complianceA: 10e-6);
        var levels = new List<double>();
        foreach (var (cell, pulse) in new[]
        {
            (new CellAddress(0, 0), Set(1.5, complianceA: 8e-6)),
            (new CellAddress(0, 1), Set(1.5, gateV: 0.8)),
            (new CellAddress(0, 2), Set(1.5, gateV: 2.0)),
        })
        {
            await chip.ApplyPulseAsync(cell, Reset(1.8), Ct);
            for (var k = 0; k < 10; k++)
            {
                await chip.ApplyPulseAsync(cell, pulse, Ct);
            }

            levels.Add(chip.TrueConductanceS(cell));
        }

        // G ≈ I_C / V_C: 8 µA / 0.4 V = 20 µS; the gate at 0.8 V passes k/2·(0.8 − V_t)² ≈ 16 µA → ≈ 40 µS.
        Assert.InRange(levels[0], 15e-6, 21e-6);
        Assert.InRange(levels[1], 25e-6, 50e-6);
        Assert.True(levels[2] > 80e-6, "a fully open gate leaves the window edge as the limit");
    }

    [Fact]
    public async Task SetStep_GrowsWithAmplitudeAndWidth_AndShrinksNearTheWindowEdge()
    {
        var settings = Rram(1, 1, seed: 8).WithoutStuckCells() with { Rram = new RramPhysics { CycleToCycleSigma = 0 } };
        await using var chip = new EmulatedChip(settings);
        var cell = new CellAddress(0, 0);

        async Task<double> StepAsync(double fromS, ProgramPulse pulse)
        {
            chip.ForceConductanceForTest(cell, fromS);
            await chip.ApplyPulseAsync(cell, pulse, Ct);
            return chip.TrueConductanceS(cell) - fromS;
        }

        var small = await StepAsync(10e-6, Set(0.9));
        var higher = await StepAsync(10e-6, Set(1.0));
        var longer = await StepAsync(10e-6, Set(0.9, widthSeconds: 10e-6));
        var nearEdge = await StepAsync(80e-6, Set(0.9));
        var belowThreshold = await StepAsync(10e-6, Set(0.5));

        Assert.True(higher > small && longer > small);
        Assert.True(nearEdge < small / 3);
        Assert.Equal(0, belowThreshold);
    }

    [Fact]
    public async Task StuckCells_DoNotMove_AndOccurAtConfiguredRates()
    {
        var settings = Rram(32, 32, seed: 6) with { Rram = new RramPhysics { StuckOnRate = 0.05, StuckOffRate = 0.08 } };
        await using var chip = new EmulatedChip(settings);
        var truth = chip.GroundTruth;
        var n = chip.Geometry.CellCount;
        await FormAllAsync(chip);
        foreach (var cell in chip.Geometry.All.Cells())
        {
            await chip.ApplyPulseAsync(cell, Reset(1.8), Ct);
            await chip.ApplyPulseAsync(cell, Set(1.0), Ct);
        }

        foreach (var cell in chip.Geometry.All.Cells())
        {
            var i = truth.IndexOf(cell);
            if (truth.Faults[i] != CellFault.None)
            {
                Assert.Equal(truth.StuckConductanceS[i], chip.TrueConductanceS(cell));
            }
        }

        Assert.Equal(truth.Faults.Count(f => f == CellFault.StuckOn), truth.StuckOnCount);
        foreach (var (rate, count) in new[] { (0.05, truth.StuckOnCount), (0.08, truth.StuckOffCount) })
        {
            var tolerance = 4 * Math.Sqrt(rate * (1 - rate) / n);
            Assert.InRange((double)count / n, rate - tolerance, rate + tolerance);
        }

        Assert.All(truth.StuckConductanceS.Where((_, i) => truth.Faults[i] == CellFault.StuckOn), g => Assert.True(g > 80e-6));
    }

    [Fact]
    public async Task Relaxation_AfterProgramming_DecaysTheConfiguredFractionOfTheChange()
    {
        var settings = Rram(2, 2, seed: 9).WithoutStuckCells();
        await using var chip = new EmulatedChip(settings with { Rram = settings.Rram with { RelaxationNoiseRelative = 0 } });
        var cell = new CellAddress(1, 1);
        var i = chip.GroundTruth.IndexOf(cell);
        var fraction = chip.GroundTruth.RelaxationFraction[i];
        var tau = chip.GroundTruth.RelaxationTimeSeconds[i];
        chip.ForceConductanceForTest(cell, 10e-6);

        await chip.ApplyPulseAsync(cell, Set(1.0), Ct);
        var justAfter = chip.TrueConductanceS(cell);
        chip.VirtualClock.Advance(TimeSpan.FromSeconds(tau));
        var oneTau = chip.TrueConductanceS(cell);
        chip.VirtualClock.Advance(TimeSpan.FromSeconds(20 * tau));
        var settled = chip.TrueConductanceS(cell);

        var change = justAfter - 10e-6;
        Assert.True(fraction > 0 && change > 5e-6);
        Assert.Equal(justAfter - (fraction * change), settled, 1e-12);
        Assert.Equal(justAfter - (fraction * change * (1 - Math.Exp(-1))), oneTau, 1e-12);

        // Visible through reads too: the mean of reads falls by f·ΔG (read noise averaged over 400 reads).
        var reads = new List<double>();
        for (var k = 0; k < 400; k++)
        {
            reads.Add((await chip.ReadCellAsync(cell, 0.2, Ct)).ConductanceS);
        }

        var sigma = chip.GroundTruth.ReadNoiseSigmaS(cell, settled);
        Assert.InRange(Mean(reads), settled - MeanTolerance(sigma, 400), settled + MeanTolerance(sigma, 400));
        Assert.True(justAfter - Mean(reads) > 10 * MeanTolerance(sigma, 400));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public async Task RelaxationNoise_ScattersTheSettledValue_WithTheConfiguredRelativeSigma(long seed)
    {
        await using var chip = new EmulatedChip(Rram(2, 2, seed).WithoutStuckCells());
        var cell = new CellAddress(0, 0);
        var i = chip.GroundTruth.IndexOf(cell);
        var fraction = chip.GroundTruth.RelaxationFraction[i];
        var tau = chip.GroundTruth.RelaxationTimeSeconds[i];
        const int n = 400;
        var relative = new List<double>();
        for (var k = 0; k < n; k++)
        {
            chip.ForceConductanceForTest(cell, 10e-6);
            await chip.ApplyPulseAsync(cell, Set(1.0), Ct);
            var justAfter = chip.TrueConductanceS(cell);
            chip.VirtualClock.Advance(TimeSpan.FromSeconds(40 * tau));
            var expected = justAfter - (fraction * (justAfter - 10e-6));
            relative.Add((chip.TrueConductanceS(cell) - expected) / justAfter);
        }

        var sigma = chip.Settings.Rram.RelaxationNoiseRelative;
        Assert.InRange(Std(relative), sigma - StdTolerance(sigma, n), sigma + StdTolerance(sigma, n));
        Assert.InRange(Mean(relative), -MeanTolerance(sigma, n), MeanTolerance(sigma, n));
    }

    [Fact]
    public async Task GateBelowTransistorThreshold_BlocksSetAndReset()
    {
        await using var chip = new EmulatedChip(Rram(1, 1, seed: 14).WithoutStuckCells());
        var cell = new CellAddress(0, 0);
        chip.ForceConductanceForTest(cell, 30e-6);

        await chip.ApplyPulseAsync(cell, Set(1.5, gateV: 0.2), Ct);
        await chip.ApplyPulseAsync(cell, Reset(1.8) with { GateVoltageV = 0.2 }, Ct);

        Assert.Equal(30e-6, chip.TrueConductanceS(cell));
        Assert.Equal(2, chip.PulseCount(cell));
    }
}

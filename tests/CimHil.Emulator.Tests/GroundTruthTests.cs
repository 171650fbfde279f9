using CimHil.Core.Chip;
using CimHil.Emulator;
using static CimHil.Emulator.Tests.TestChips;

namespace CimHil.Emulator.Tests;

public class GroundTruthTests
{
    [Fact]
    public async Task RramGroundTruth_StatesTheConfiguredDistributions_InCalibrationSchemaTerms()
    {
        await using var chip = new EmulatedChip(Rram(8, 8, seed: 4));
        var truth = chip.GroundTruth;

        Assert.Equal(64, truth.MaxConductanceS.Length);
        Assert.Equal(new RramPhysics().MaxConductanceS.Sigma, truth.DeviceToDevice.MaxLogSigma);
        Assert.Equal(new RramPhysics().CycleToCycleSigma, truth.CycleToCycle.RelativeSigma);
        Assert.Null(truth.Programming);

        // The schema's polynomial in x = G / MaxS reproduces σ_read(G) of a median cell.
        var readNoise = truth.ReadNoise!;
        var g = 40e-6;
        var r = chip.Settings.Rram;
        Assert.Equal(r.ReadNoiseFloorS + (r.ReadNoiseRelative * g), readNoise.SigmaS.Evaluate(g / truth.Window.MaxS), 1e-15);
        Assert.All(truth.DriftScore, z => Assert.True(double.IsNaN(z)));
        Assert.All(Enumerable.Range(0, 64), i => Assert.True(truth.MinConductanceS[i] < truth.MaxConductanceS[i]));
    }

    [Fact]
    public async Task PcmGroundTruth_ProgrammingPolynomial_IsThePublishedOne()
    {
        await using var chip = new EmulatedChip(Pcm(4, 4, seed: 4));
        var truth = chip.GroundTruth;
        var x = 0.4;

        Assert.Equal(25e-6, truth.Window.MaxS);
        Assert.Equal(chip.Settings.Pcm.ProgrammingSigmaS(x * 25e-6), truth.Programming!.SigmaS.Evaluate(x), 1e-15);
        Assert.Null(truth.ReadNoise);
        Assert.All(truth.FormingVoltageV, v => Assert.True(double.IsNaN(v)));
        var cell = new CellAddress(1, 3);
        Assert.Equal(truth.DriftExponent(cell, chip.TrueConductanceS(cell)), chip.DriftExponent(cell), 12);
    }
}

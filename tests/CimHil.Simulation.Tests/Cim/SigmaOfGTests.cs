using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cim;

/// <summary>The calibrated σ(G) curve: used where the target is not a measured level, the polynomial where it is.</summary>
public class SigmaOfGTests
{
    // Polynomial σ_p(x) = 1 µS + 2 µS·x (3 µS at x = 1); the curve σ = 0.5 µS + 0.5 µS·x (1 µS at x = 1).
    private static DeviceVariationModel Device(double measuredTargetS) => CimTestModels.Device(readSigmaS: 0) with
    {
        Programming = CimTestModels.Device().Programming with
        {
            Levels = [new LevelStatistics { TargetS = measuredTargetS, OffsetS = 0, SigmaS = 3e-6, Family = ErrorDistribution.Normal, Count = 100 }],
            SigmaOfG = new SigmaOfConductance { Form = SigmaOfConductance.Linear, A = 0.5e-6, B = 0.5e-6 },
        },
    };

    [Theory]
    [InlineData(50e-6, 1e-6)] // Gmax is not a measured level: the curve
    [InlineData(100e-6, 3e-6)] // Gmax is the measured level: the polynomial, as before the curve existed
    public void ProgrammingError_AtGmax_UsesTheCurveUnlessTheLevelWasMeasured(double measuredTargetS, double expectedSigmaS)
    {
        var device = Device(measuredTargetS);
        var model = new CalibratedNoiseModel(device);
        Assert.Equal(expectedSigmaS, model.ProgrammingSigmaS(CimTestModels.Window.MaxS), 1e-12);

        // Every G⁺ of a saturated layer is at Gmax: the sample sd of 10⁴ devices within 4 SE (σ/√(2n)) of the expected σ.
        var rng = new Random(1);
        var net = new Network("sat", new Sequential(("flatten", new Flatten()), ("fc", new Linear(100, 100, rng, bias: false))), [1, 1, 100], 100);
        Array.Fill(net.WeightedLayers[0].Weight.Data, 0.5f);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4 }, CimTestModels.Window);
        var chip = SimulatedChip.Program(mapped, new VariationSpec { Noise = model }, seed: 7, chipIndex: 0);
        var g = chip.Conductances[0].Plus[0];
        var mean = g.Average();
        var sd = Math.Sqrt(g.Sum(v => (v - mean) * (v - mean)) / (g.Length - 1));
        Assert.Equal(expectedSigmaS, sd, 4 * expectedSigmaS / Math.Sqrt(2.0 * g.Length));
    }
}

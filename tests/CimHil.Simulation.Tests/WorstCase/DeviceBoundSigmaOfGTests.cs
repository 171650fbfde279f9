using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Tests.Cim;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;

namespace CimHil.Simulation.Tests.WorstCase;

/// <summary>
/// The worst-case box uses the same σ as the Monte-Carlo (issue #16): the polynomial at a measured level, the calibrated
/// σ(G) curve at every other target, so a box of k = 1 and the Monte-Carlo's σ describe one device model.
/// </summary>
public class DeviceBoundSigmaOfGTests
{
    // Polynomial σ_p(x) = 1 µS + 2 µS·x (3 µS at Gmax); the curve σ = 0.5 µS + 0.5 µS·x (1 µS at Gmax).
    private static DeviceVariationModel Device(double measuredTargetS) => CimTestModels.Device(readSigmaS: 0) with
    {
        Programming = CimTestModels.Device().Programming with
        {
            Levels = [new LevelStatistics { TargetS = measuredTargetS, OffsetS = 0, SigmaS = 3e-6, Family = ErrorDistribution.Normal, Count = 100 }],
            SigmaOfG = new SigmaOfConductance { Form = SigmaOfConductance.Linear, A = 0.5e-6, B = 0.5e-6 },
        },
    };

    [Theory]
    [InlineData(50e-6, 1e-6)] // Gmax is not a measured level: the curve (the polynomial would say 3 µS)
    [InlineData(100e-6, 3e-6)] // Gmax is the measured level: the polynomial
    public void UnitBounds_AtEveryTarget_AreTheMonteCarloSigma(double measuredTargetS, double expectedAtGmaxS)
    {
        var device = Device(measuredTargetS);
        var rng = new Random(3);
        var net = new Network("mixed", new Sequential(("flatten", new Flatten()), ("fc", new Linear(20, 10, rng, bias: false))), [1, 1, 20], 10);

        // Half the weights saturate (G⁺ at Gmax), the rest spread over the window: measured and unmeasured targets.
        var w = net.WeightedLayers[0].Weight.Data;
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = i % 2 == 0 ? 0.5f : (float)((i % 7) - 3) / 10;
        }

        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4 }, CimTestModels.Window);
        var noise = new CalibratedNoiseModel(device);
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = noise }).UnitBounds(mapped);
        var t = mapped.Layers[0].Targets;
        var atGmax = 0;
        for (var s = 0; s < t.SliceCount; s++)
        {
            for (var i = 0; i < t.WeightCount; i++)
            {
                Assert.Equal(noise.ProgrammingSigmaS(t.Plus[s][i]), bounds[0].Plus[s][i], 1e-18);
                Assert.Equal(noise.ProgrammingSigmaS(t.Minus[s][i]), bounds[0].Minus[s][i], 1e-18);
                if (Math.Abs(t.Plus[s][i] - CimTestModels.Window.MaxS) < 1e-12)
                {
                    atGmax++;
                    Assert.Equal(expectedAtGmaxS, bounds[0].Plus[s][i], 1e-12);
                }
            }
        }

        Assert.True(atGmax > 0, "no device at Gmax: the test would not see the curve");
    }
}

using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Robustness;

namespace CimHil.Simulation.Tests.Robustness;

public sealed class BiScaleEncodingTests
{
    private static readonly ConductanceWindow Window = new(2e-6, 100e-6);

    [Theory]
    [InlineData(4, 1, ScaleGranularity.PerLayer, 8.0)]
    [InlineData(3, 2, ScaleGranularity.PerColumn, 4.0)]
    public void Encode_ReconstructsEveryWeightWithinHalfItsOwnStep_AndPicksTheScale(int bits, int slices, ScaleGranularity granularity, double ratio)
    {
        var net = RobustnessTestModels.TwoLayer(7);
        var layer = net.WeightedLayers[0];
        var w = layer.Weight.Data;
        // Make a third of the weights tiny so both scales are exercised.
        for (var i = 0; i < w.Length; i += 3)
        {
            w[i] *= 0.05f;
        }

        var options = new CimMappingOptions { BitsPerDevice = bits, SliceCount = slices, Scale = granularity };
        var encoding = new BiScaleEncoding(options, ratio);
        var mapped = encoding.Encode(layer, Window);
        var small = 0;
        for (var o = 0; o < layer.OutputCount; o++)
        {
            var large = granularity == ScaleGranularity.PerLayer ? w.Max(Math.Abs) : w.Skip(o * layer.FanIn).Take(layer.FanIn).Max(Math.Abs);
            Assert.Equal(large, mapped.Scales[o], 6);
            for (var i = 0; i < layer.FanIn; i++)
            {
                var idx = (o * layer.FanIn) + i;
                var expectSmall = Math.Abs(w[idx]) <= large / ratio;
                var alpha = expectSmall ? large / ratio : large;
                small += expectSmall ? 1 : 0;
                Assert.Equal(alpha, encoding.ScaleOf(mapped, idx), alpha * 1e-9);
                var err = Math.Abs(mapped.NominalWeight[idx] - w[idx]);
                Assert.True(err <= (alpha / (2.0 * options.MaxCode)) + 1e-7, $"weight {idx}: |ŵ − w| = {err} > half step {alpha / (2.0 * options.MaxCode)}");
                Assert.InRange(mapped.Targets.Plus[0][idx], Window.MinS, Window.MaxS);
                Assert.InRange(mapped.Targets.Minus[0][idx], Window.MinS, Window.MaxS);
            }
        }

        Assert.True(small >= w.Length / 3, $"{small} small-scale weights");
        var decoded = new float[w.Length];
        mapped.Decode(mapped.Targets, decoded);
        Assert.Equal(mapped.NominalWeight, decoded);
    }

    [Fact]
    public void SmallWeights_SeeLessWeightNoiseThanWithOneScale()
    {
        // The same conductance noise decodes to ratio-times smaller weight noise on small-scale weights.
        var net = RobustnessTestModels.TwoLayer(8);
        var layer = net.WeightedLayers[0];
        var options = new CimMappingOptions { BitsPerDevice = 4 };
        var bi = new BiScaleEncoding(options, 8).Encode(layer, Window);
        var single = new DifferentialPairEncoding(options).Encode(layer, Window);
        var large = layer.Weight.Data.Max(Math.Abs);
        var idx = Array.FindIndex(layer.Weight.Data, v => Math.Abs(v) <= large / 8);
        Assert.True(idx >= 0);
        Assert.Equal(single.Coefficients[0][idx] / 8, bi.Coefficients[0][idx], single.Coefficients[0][idx] * 1e-9);
    }
}

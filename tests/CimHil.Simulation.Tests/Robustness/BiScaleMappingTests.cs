using CimHil.Core.Config;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.Robustness;

public sealed class BiScaleMappingTests
{
    private static readonly CimMappingOptions BiScale = new() { BitsPerDevice = 4, Representation = WeightRepresentation.BiScale, BiScaleRatio = 4 };

    [Fact]
    public void FromJson_ReadsTheBiScaleRepresentationAndRatio()
    {
        var o = CimMappingOptions.FromJson(JsonSection.Parse("""{"representation": "biScale", "biScaleRatio": 4}""", "t"));
        Assert.Equal(WeightRepresentation.BiScale, o.Representation);
        Assert.Equal(4, o.BiScaleRatio);
        var encoding = Assert.IsType<BiScaleEncoding>(WeightEncoding.For(o));
        Assert.Equal(4, encoding.ScaleRatio);
        Assert.Equal(8, CimMappingOptions.FromJson(JsonSection.Parse("""{"representation": "bi-scale"}""", "t")).BiScaleRatio);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0.5")]
    public void FromJson_RatioNotAboveOne_FailsWithItsJsonPath(string ratio)
    {
        var section = new JsonSection(JsonSection.Parse($$"""{"representation": "biScale", "biScaleRatio": {{ratio}}}""", "t").Element, "simulation.mapping");
        var ex = Assert.Throws<ConfigException>(() => CimMappingOptions.FromJson(section));
        Assert.Equal("simulation.mapping.biScaleRatio", ex.JsonPath);
    }

    [Fact]
    public void Map_BiScale_GivesSmallWeightsTheSmallScale()
    {
        var net = TwoLayer(3, 6, 10, 3);
        var mapped = MappedNetwork.Map(net, BiScale, Window);
        var single = MappedNetwork.Map(net, BiScale with { Representation = WeightRepresentation.DifferentialPair }, Window);
        var w = net.WeightedLayers[0].Weight.Data;
        var large = w.Max(Math.Abs);
        var small = 0;
        for (var i = 0; i < w.Length; i++)
        {
            var ratio = single.Layers[0].Coefficients[0][i] / mapped.Layers[0].Coefficients[0][i];
            var expected = Math.Abs(w[i]) <= large / 4 ? 4.0 : 1.0;
            small += expected > 1 ? 1 : 0;
            Assert.Equal(expected, ratio, 9);
        }

        Assert.True(small > 0, "no weight took the small scale");
    }

    [Fact]
    public void MonteCarlo_OnABiScaleMapping_WithoutVariationEveryChipHasTheNominalAccuracy()
    {
        var net = TwoLayer(5, 6, 10, 3);
        var data = SelfLabelled(net, 200, 2);
        var mapped = MappedNetwork.Map(net, BiScale, Window);
        var options = new MonteCarloOptions { Chips = 3, Seed = 7, MaxDegreeOfParallelism = 1 };
        var none = new MonteCarloEvaluator(mapped, VariationSpec.None, options).Run(data);
        Assert.All(none.ChipAccuracies, a => Assert.Equal(none.NominalAccuracy, a));

        // The nominal accuracy is that of the bi-scale decoded weights.
        var context = mapped.WeightContext(mapped.NominalWeights());
        var labels = data.BatchLabels(0).ToArray();
        var predicted = net.Predict(data.Batches[0], context);
        var correct = predicted.Where((p, i) => p == labels[i]).Count();
        Assert.Equal((double)correct / data.Count, none.NominalAccuracy, 12);

        var noisy = new MonteCarloEvaluator(mapped, new VariationSpec { Noise = new CalibratedNoiseModel(Device()) }, options).Run(data);
        // The device model moves the chips off the nominal accuracy, and each accuracy is a count of correct images.
        Assert.Contains(noisy.ChipAccuracies, a => a != none.NominalAccuracy);
        Assert.All(noisy.ChipAccuracies, a => Assert.Equal(Math.Round(a * data.Count), a * data.Count, 9));
    }

    [Fact]
    public async Task WorstCaseEvaluation_OnABiScaleMapping_IsMonotoneAndVerifiesExactly()
    {
        var net = TwoLayer(7, 6, 10, 3);
        var data = SelfLabelled(net, 200, 11);
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var dir = Path.Combine(Path.GetTempPath(), $"biscale-worst-{Guid.NewGuid():N}");
        try
        {
            var report = await WorstCaseEvaluation.RunAsync(net, BiScale, data, new WorstCaseRequest
            {
                Ks = [0, 1, 3],
                Bounds = bounds,
                Search = Fast(WorstCaseOptions.Default),
                OutputDirectory = dir,
                MonteCarloChips = 0,
            }, Log);

            Assert.Equal([0.0, 1, 3], report.Points.Select(p => p.K));
            Assert.True(report.Points[1].Accuracy <= report.Points[0].Accuracy);
            Assert.True(report.Points[2].Accuracy <= report.Points[1].Accuracy);
            Assert.True(report.Points[2].Accuracy < report.CleanAccuracy, "the search found no harmful perturbation at k = 3");
            foreach (var p in report.Points)
            {
                var (accuracy, _) = await WorstCaseEvaluation.VerifyAsync(net, BiScale, bounds, data, p.PerturbationPath!);
                Assert.Equal(p.Accuracy, accuracy);
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}

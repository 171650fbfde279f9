using CimHil.Simulation.Mapping;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using Serilog.Core;

namespace CimHil.Simulation.Tests.Robustness;

public sealed class RobustnessMethodsTests
{
    private static readonly CimMappingOptions Mapping = new() { BitsPerDevice = 4 };

    private static ITrainingMethod Create(string name, RobustnessSettings settings) =>
        RobustnessMethods.Create(name, settings, Mapping, 3, Logger.None);

    [Fact]
    public void Create_Standard_IsPlainTraining() =>
        Assert.IsType<StandardTraining>(Create("standard", new RobustnessSettings()));

    [Fact]
    public void Create_NoiseWithoutVariation_InjectsTheWeightDomainGaussian()
    {
        var m = Assert.IsType<NoiseInjectionTraining>(Create("NOISE", new RobustnessSettings { SigmaRelative = 0.07 }));
        Assert.Equal("noise", m.Name);
        Assert.Equal(0.07, Assert.IsType<GaussianWeightNoise>(m.Noise).SigmaRelative);
    }

    [Fact]
    public void Create_NoiseWithVariation_InjectsDeviceModelNoiseThroughTheMapping()
    {
        var m = Assert.IsType<NoiseInjectionTraining>(Create("noise", new RobustnessSettings { Variation = "gaussian-conductance:0.03" }));
        var noise = Assert.IsType<DeviceModelWeightNoise>(m.Noise);
        Assert.Equal(new GaussianNoiseModel(0.03, GaussianDomain.Conductance), noise.Spec.Gaussian);
        Assert.Equal(WeightRepresentation.DifferentialPair, noise.Mapping.Representation);
    }

    [Fact]
    public void Create_Rcn_CensorsAtThresholdTimesSigma()
    {
        var m = Assert.IsType<NoiseInjectionTraining>(Create("rcn", new RobustnessSettings { SigmaRelative = 0.2, ThresholdSigmas = 0.5 }));
        Assert.Equal("rcn", m.Name);
        var noise = Assert.IsType<RightCensoredGaussianNoise>(m.Noise);
        Assert.Equal(0.2, noise.SigmaRelative);
        Assert.Equal(0.1, noise.ThresholdRelative, 12);

        var plain = (RightCensoredGaussianNoise)((NoiseInjectionTraining)Create("rcn", new RobustnessSettings { ThresholdSigmas = double.PositiveInfinity })).Noise;
        Assert.Equal(double.PositiveInfinity, plain.ThresholdRelative);
    }

    [Fact]
    public void Create_Hessian_CarriesLambdaAndProbes()
    {
        var m = Assert.IsType<HessianAwareTraining>(Create("hessian", new RobustnessSettings { Lambda = 0.01, Probes = 3 }));
        Assert.Equal(0.01, m.Lambda);
        Assert.Equal(3, m.Probes);
    }

    [Fact]
    public void Create_BiScale_TrainsWithTheBiScaleMappingsDeviceNoiseAndEvaluatesBiScale()
    {
        var settings = new RobustnessSettings { SigmaRelative = 0.05, BiScaleRatio = 4 };
        var m = Assert.IsType<NoiseInjectionTraining>(Create("biscale", settings));
        Assert.Equal("biscale", m.Name);
        var noise = Assert.IsType<DeviceModelWeightNoise>(m.Noise);
        Assert.Equal(WeightRepresentation.BiScale, noise.Mapping.Representation);
        Assert.Equal(4, noise.Mapping.BiScaleRatio);
        Assert.Equal(new GaussianNoiseModel(0.05, GaussianDomain.Conductance), noise.Spec.Gaussian);

        var eval = RobustnessMethods.EvaluationMapping("biscale", settings, Mapping);
        Assert.Equal(WeightRepresentation.BiScale, eval.Representation);
        Assert.Equal(4, eval.BiScaleRatio);
        Assert.Same(Mapping, RobustnessMethods.EvaluationMapping("noise", settings, Mapping));
    }

    [Fact]
    public void Create_Atrice_UsesTheGaussianBoxAndAShortSearch()
    {
        var m = Assert.IsType<AdversarialRcnTraining>(Create("atrice", new RobustnessSettings { SigmaRelative = 0.1, ThresholdSigmas = 1, K = 2, AdversarySteps = 4 }));
        Assert.Equal(2, m.K);
        Assert.Equal(DeviceBoundKind.GaussianWeight, m.Bounds.Kind);
        Assert.Equal(0.1, m.Bounds.Relative);
        Assert.Equal(4, m.Search.Steps);
        Assert.Equal(0, m.Search.Restarts);
        Assert.Equal(3, m.Search.Seed);
        Assert.Equal(0.1, Assert.IsType<RightCensoredGaussianNoise>(m.Noise).ThresholdRelative, 12);
    }

    [Fact]
    public void Create_UnknownName_NamesTheKnownMethods()
    {
        var ex = Assert.Throws<ArgumentException>(() => Create("dropout", new RobustnessSettings()));
        Assert.Contains("'dropout'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("standard, noise, rcn, hessian, biscale, atrice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidSetting_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Create("hessian", new RobustnessSettings { Lambda = -1 }));
        Assert.Equal("Lambda", ex.ParamName);
    }

    [Fact]
    public void Parameters_RecordOnlyWhatDefinesTheMethod()
    {
        var s = new RobustnessSettings { SigmaRelative = 0.05, Lambda = 0.5 };
        Assert.Equal(new Dictionary<string, string> { ["method"] = "standard" }, RobustnessMethods.Parameters("standard", s));
        Assert.Equal("0.5", RobustnessMethods.Parameters("hessian", s)["lambda"]);
        Assert.False(RobustnessMethods.Parameters("hessian", s).ContainsKey("sigma_rel"));
        Assert.Equal("0.05", RobustnessMethods.Parameters("noise", s)["sigma_rel"]);
        Assert.Equal("gaussian:0.05", RobustnessMethods.Parameters("atrice", s)["variation"]);
    }

    [Fact]
    public void SearchRcn_ScoresEveryCandidateByItsKpp()
    {
        var net = RobustnessTestModels.TwoLayer(4);
        var (x, labels) = RobustnessTestModels.Batch(net, 64, 5);
        var trained = new List<string>();
        var result = RobustnessMethods.SearchRcn(
            new RcnSearchOptions { SigmaRelative = [0, 0.5], ThresholdSigmas = [double.PositiveInfinity], RefinementRounds = 0 },
            method =>
            {
                trained.Add(((NoiseInjectionTraining)method).Noise.Describe());
                return net;
            },
            x,
            labels,
            new GaussianWeightNoise(0.3),
            8,
            1,
            9);
        Assert.Equal(2, trained.Count);
        Assert.Equal(2, result.Candidates.Count);

        // Each candidate is scored by the K-th percentile accuracy of the network it trained, under the target noise.
        var expected = RightCensoredSearch.KthPercentileAccuracy(net, x, labels, new GaussianWeightNoise(0.3), 8, 1, 9);
        Assert.All(result.Candidates, c => Assert.Equal(expected, c.KthPercentileAccuracy));

        // The same network is scored with the same seed for both candidates: equal KPP, the tie keeps the smaller σ.
        Assert.Equal(result.Candidates[0].KthPercentileAccuracy, result.Candidates[1].KthPercentileAccuracy);
        Assert.Equal(0, result.Best.SigmaRelative);
    }
}

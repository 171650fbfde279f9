using CimHil.Core.Config;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using StudyWorkflow = CimHil.Workflows.Study;

namespace CimHil.Workflows.Tests;

/// <summary>The study's training-to-convergence keys: defaults, parsing, errors with their JSON path, the cache key.</summary>
public class StudyTrainingSettingsTests
{
    [Fact]
    public void Parse_Empty_GivesTheConvergenceDefaults()
    {
        var s = Parse("{}");
        Assert.Equal(10, s.Epochs);
        Assert.Equal(StudySettings.DefaultEpochs, s.Epochs);
        Assert.Equal(1.0 / 12, s.ValidationFraction, 12);
        Assert.Equal(3, s.Patience);
        Assert.Equal(LearningRateSchedule.Cosine, s.Schedule);
        Assert.Equal(0.5, s.Parameters.AdversaryWeight);
        Assert.Equal(1, s.Parameters.AdversaryWarmupEpochs);
    }

    [Fact]
    public void Parse_ExplicitValues_AreKept()
    {
        var s = Parse("""{"epochs": 12, "validationFraction": 0.2, "patience": 0, "schedule": "constant", "parameters": {"adversaryWeight": 1, "adversaryWarmupEpochs": 0}}""");
        Assert.Equal((12, 0.2, 0, LearningRateSchedule.Constant), (s.Epochs, s.ValidationFraction, s.Patience, s.Schedule));
        Assert.Equal((1.0, 0), (s.Parameters.AdversaryWeight, s.Parameters.AdversaryWarmupEpochs));
    }

    [Theory]
    [InlineData("""{"schedule": "step"}""", "study.schedule")]
    [InlineData("""{"validationFraction": 0.9}""", "study.validationFraction")]
    [InlineData("""{"patience": -1}""", "study.patience")]
    [InlineData("""{"parameters": {"adversaryWeight": 1.5}}""", "study.parameters.adversaryWeight")]
    public void Parse_BadValue_NamesItsJsonPath(string json, string path) =>
        Assert.Equal(path, Assert.Throws<ConfigException>(() => Parse(json)).JsonPath);

    [Fact]
    public void CacheKey_ChangesWithValidationPatienceScheduleAndAdversaryMix()
    {
        var s = Parse("{}");
        string Key(StudySettings settings) =>
            StudyWorkflow.CacheKey(settings, RobustnessMethods.Atrice, 1, RobustnessMethods.Parameters(RobustnessMethods.Atrice, settings.Parameters), new CimMappingOptions());
        var keys = new[]
        {
            Key(s),
            Key(s with { ValidationFraction = 0.1 }),
            Key(s with { Patience = s.Patience + 1 }),
            Key(s with { Schedule = LearningRateSchedule.Constant }),
            Key(s with { Parameters = s.Parameters with { AdversaryWeight = 1 } }),
            Key(s with { Parameters = s.Parameters with { AdversaryWarmupEpochs = 0 } }),
        };
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    private static StudySettings Parse(string json) => StudySettings.Parse(new JsonSection(JsonSection.Parse(json, "t").Element, "study"));
}

using CimHil.Core.Config;

namespace CimHil.Workflows.Tests.Study;

/// <summary>study.seeds: training seeds as a list (a single number still works), bases for the evaluation seeds.</summary>
public class StudySeedsTests
{
    private static StudySettings Parse(string json) => StudySettings.Parse(new JsonSection(JsonSection.Parse(json, "t").Element, "study"));

    [Fact]
    public void Default_IsThreeTrainingSeeds()
    {
        Assert.Equal([1, 2, 3], Parse("{}").Seeds.Train);
    }

    [Fact]
    public void TrainList_KeepsItsOrder_AndOneNumberIsOneSeed()
    {
        Assert.Equal([7, 3, 5], Parse("""{"seeds": {"train": [7, 3, 5]}}""").Seeds.Train);
        Assert.Equal([4], Parse("""{"seeds": {"train": 4}}""").Seeds.Train);
    }

    [Fact]
    public void EvaluationSeeds_AreTheBasePlusTheTrainingSeed()
    {
        var seeds = Parse("""{"seeds": {"train": [1, 2], "monteCarlo": 100, "worstCase": 7}}""").Seeds;
        Assert.Equal([101, 102], seeds.Train.Select(seeds.MonteCarloFor));
        Assert.Equal([8, 9], seeds.Train.Select(seeds.WorstCaseFor));
    }

    [Theory]
    [InlineData("""{"seeds": {"train": [1, 2, 1]}}""", "study.seeds.train[2]", "listed twice")]
    [InlineData("""{"seeds": {"train": [1, -2]}}""", "study.seeds.train[1]", "≥ 0")]
    [InlineData("""{"seeds": {"train": [1, "two"]}}""", "study.seeds.train[1]", "\"two\"")]
    [InlineData("""{"seeds": {"train": []}}""", "study.seeds.train", "at least one seed")]
    [InlineData("""{"seeds": {"train": -1}}""", "study.seeds.train", "")]
    public void BadTrainSeeds_FailWithTheirJsonPath(string json, string path, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => Parse(json));
        Assert.Equal(path, ex.JsonPath);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_ReadBackFromStudyJson_KeepTheirEvaluationAndSeeds()
    {
        // A Slurm merge reads the shards' study.json: the flat evaluation values must survive the round trip (they once
        // came back as the defaults, and the merged study.md described chips and bounds the study never used).
        var settings = Parse("""{"monteCarlo": {"chips": 7, "images": 60}, "worstCase": {"ks": [1, 2], "images": 20, "method": "paper"}, "seeds": {"train": [4, 5]}}""");
        var json = System.Text.Json.JsonSerializer.Serialize(settings, WorkflowJson.Options);
        var back = System.Text.Json.JsonSerializer.Deserialize<StudySettings>(json, WorkflowJson.Options)!;
        Assert.Equal((7, 60, 20, "paper"), (back.MonteCarloChips, back.MonteCarloImages, back.WorstCaseImages, back.WorstCaseMethod));
        Assert.Equal(new[] { 1.0, 2 }, back.WorstCaseKs.ToArray());
        Assert.Equal(new[] { 4, 5 }, back.Seeds.Train.ToArray());
        Assert.Equal(json, System.Text.Json.JsonSerializer.Serialize(back, WorkflowJson.Options));
    }
}

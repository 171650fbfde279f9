using CimHil.Core.Config;

namespace CimHil.Workflows.Tests;

public class EvaluationSettingsTests
{
    private static JsonSection Section(string json, string path) => new(JsonSection.Parse(json, "t").Element, path);

    [Fact]
    public void Parse_EmptySections_GiveTheWorkflowsOwnDefaults()
    {
        var run = RunSettings.Parse(Section("{}", "run")).Evaluation;
        var study = StudySettings.Parse(Section("{}", "study")).Evaluation;

        Assert.Equal(RunSettings.EvaluationDefaults with { WorstCaseKs = run.WorstCaseKs }, run);
        Assert.Equal([0, 0.5, 1, 2, 3], run.WorstCaseKs);
        Assert.Equal(10_000, run.MonteCarloImages);
        Assert.Equal([1.0, 2, 3], study.WorstCaseKs);
        Assert.Equal(2000, study.MonteCarloImages);
        Assert.Equal(200, study.WorstCaseImages);
    }

    [Fact]
    public void Parse_RepeatedBounds_RunKeepsThemSortedStudyDropsRepeats()
    {
        const string json = """{"worstCase": {"ks": [2, 1, 2]}}""";

        Assert.Equal([1.0, 2, 2], RunSettings.Parse(Section(json, "run")).Evaluation.WorstCaseKs);
        Assert.Equal([1.0, 2], StudySettings.Parse(Section(json, "study")).WorstCaseKs);
    }

    [Theory]
    [InlineData("""{"worstCase": {"ks": [1, 101]}}""", "run.worstCase.ks[1]")]
    [InlineData("""{"worstCase": {"method": "fast"}}""", "run.worstCase.method")]
    [InlineData("""{"monteCarlo": {"chips": 1}}""", "run.monteCarlo.chips")]
    [InlineData("""{"monteCarlo": {"percentile": 101}}""", "run.monteCarlo.percentile")]
    public void Parse_BadValue_FailsWithItsJsonPath(string json, string path)
    {
        var ex = Assert.Throws<ConfigException>(() => RunSettings.Parse(Section(json, "run")));
        Assert.Equal(path, ex.JsonPath);
    }

    [Fact]
    public void MonteCarloOptions_TakeChipsAndPercentileWithTheGivenSeed()
    {
        var options = RunSettings.EvaluationDefaults.MonteCarloOptions(7);
        Assert.Equal((100, 1.0, 7L), (options.Chips, options.Percentile, options.Seed));
    }
}

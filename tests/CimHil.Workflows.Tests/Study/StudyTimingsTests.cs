namespace CimHil.Workflows.Tests.Study;

/// <summary>study.md's "Time" section: the wall time and per-cell training and evaluation times a study estimate is built from.</summary>
public class StudyTimingsTests
{
    [Fact]
    public void Markdown_WallTime_AndPerCellTraining_AndStageTimes()
    {
        // standard seed 1 trained for 120 s over 4 epochs (30 s per epoch); noise seed 1 came from the cache; the four
        // other cells of the synthetic table trained for 1 s each (training 124 s in all).
        var models = SyntheticStudy.Table().Models.Select(m => (m.Method, m.Seed) switch
        {
            ("standard", 1) => m with { TrainSeconds = 120, EpochsRun = 4 },
            ("noise", 1) => m with { Cached = true, TrainSeconds = 0, EpochsRun = 3 },
            _ => m,
        }).ToArray();
        var stages = new Dictionary<string, double>
        {
            ["train standard seed 1"] = 121,
            ["monte-carlo standard/calibrated seed 1"] = 9.5,
            ["monte-carlo standard/gaussian seed 1"] = 8.2,
            ["worst-case standard/calibrated seed 1"] = 3,
            ["worst-case standard/gaussian seed 1"] = 4,
        };
        var results = SyntheticStudy.Results(models, DateTimeOffset.UnixEpoch.AddSeconds(3725), stages);

        var md = StudyTimings.Markdown(results);
        Assert.Contains("Wall time 1 h 02 min 05 s (1970-01-01 00:00:00 to 01:02:05 UTC, host host): training 2 min 04 s, Monte-Carlo and worst-case evaluation 25 s.", md, StringComparison.Ordinal);
        Assert.Contains("- standard seed 1: training 120.0 s (4 epochs, 30.0 s per epoch); Monte-Carlo 9.5 / 8.2 s; worst case 3.0 / 4.0 s", md, StringComparison.Ordinal);
        Assert.Contains("- noise seed 1: training cached (3 epochs); Monte-Carlo - / - s; worst case - / - s", md, StringComparison.Ordinal);
        Assert.Contains("- noise seed 2: training 1.0 s; ", md, StringComparison.Ordinal);

        // No table line: study.md's '|' lines are the numbers that reruns and Slurm merges compare, and timings differ.
        Assert.DoesNotContain(md.Split('\n'), l => l.StartsWith('|'));
        Assert.Contains(md, StudyTable.Markdown(results), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(754, "12 min 34 s")]
    [InlineData(3600, "1 h 00 min 00 s")]
    [InlineData(double.NaN, "-")]
    public void Duration_Formats(double seconds, string expected) => Assert.Equal(expected, StudyTimings.Duration(seconds));
}

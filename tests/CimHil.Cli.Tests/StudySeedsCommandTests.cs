using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CimHil.Workflows;

namespace CimHil.Cli.Tests;

/// <summary>
/// The CI-sized study with seeds as a dimension: two methods × three training seeds (200 samples, one epoch, 3 chips ×
/// 60 images, worst case on 20 images at k = 1, 2), then the across-seed table in study.json, study.md and study.html
/// checked against the per-seed rows it came from.
/// </summary>
public class StudySeedsCommandTests
{
    private static double[] Column(IEnumerable<JsonElement> rows, Func<JsonElement, double> value) => [.. rows.Select(value)];

    [Fact]
    public async Task Study_ThreeSeeds_KeepsEveryRow_AndAggregatesThemAcrossSeeds()
    {
        var root = Directory.CreateTempSubdirectory("cimhil-study-seeds-").FullName;
        try
        {
            var config = StudyCommandTests.TinyConfig(root);
            var (code, output, error) = await CliHarness.RunAsync(
                "study", "--json", "--config", config, "--seeds", "5,6,7", "--train-samples", "200", "--images", "60", "--worst-case-images", "20", "--ks", "1,2");
            Assert.True(code == ExitCodes.Success, error + output);
            var folder = CliHarness.Json(output).GetProperty("folder").GetString()!;
            var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, Study.JsonFile))).RootElement;

            // Every (method, seed, model) row, method-major; each seed's evaluation seeds are the configured bases (3, 4) + the seed.
            var rows = json.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(
                ["standard/5/calibrated", "standard/5/gaussian", "standard/6/calibrated", "standard/6/gaussian", "standard/7/calibrated", "standard/7/gaussian",
                 "noise/5/calibrated", "noise/5/gaussian", "noise/6/calibrated", "noise/6/gaussian", "noise/7/calibrated", "noise/7/gaussian"],
                rows.Select(r => $"{r.GetProperty("method").GetString()}/{r.GetProperty("seed").GetInt32()}/{r.GetProperty("model").GetString()}"));
            Assert.All(rows, r => Assert.Equal(3 + r.GetProperty("seed").GetInt32(), r.GetProperty("monteCarlo").GetProperty("seed").GetInt64()));
            Assert.Equal([5, 6, 7, 5, 6, 7], json.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("seed").GetInt32()));

            // Different seeds train different networks: the clean accuracies of standard's three seeds are not all equal.
            var standardCalibrated = rows.Where(r => r.GetProperty("method").GetString() == "standard" && r.GetProperty("model").GetString() == "calibrated").ToList();
            var clean = Column(standardCalibrated, r => r.GetProperty("monteCarlo").GetProperty("cleanAccuracy").GetDouble());
            Assert.True(clean.Distinct().Count() > 1, string.Join(", ", clean));

            // The aggregate: one row per method and model, its clean column the mean and Student-t interval of the three seeds.
            var aggregate = json.GetProperty("aggregate").EnumerateArray().ToList();
            Assert.Equal(["standard/calibrated", "standard/gaussian", "noise/calibrated", "noise/gaussian"], aggregate.Select(a => $"{a.GetProperty("method").GetString()}/{a.GetProperty("model").GetString()}"));
            var cleanColumn = aggregate[0].GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "clean");
            var value = cleanColumn.GetProperty("value");
            var mean = clean.Average();
            var sd = Math.Sqrt(clean.Sum(x => (x - mean) * (x - mean)) / 2);
            Assert.Equal(mean, value.GetProperty("mean").GetDouble(), 1e-12);
            // Interval ends are clipped to [0, 1] (accuracies).
            Assert.Equal(Math.Min(1, mean + (4.302653 * sd / Math.Sqrt(3))), value.GetProperty("high").GetDouble(), 1e-6);
            Assert.Equal(Math.Max(0, mean - (4.302653 * sd / Math.Sqrt(3))), value.GetProperty("low").GetDouble(), 1e-6);
            Assert.Equal(JsonValueKind.Null, cleanColumn.GetProperty("versusStandard").ValueKind);

            // noise against standard, paired by seed: the mean difference of the per-seed worst case at k = 1.
            var noiseCalibrated = rows.Where(r => r.GetProperty("method").GetString() == "noise" && r.GetProperty("model").GetString() == "calibrated").ToList();
            double Worst1(JsonElement r) => r.GetProperty("worstCase").GetProperty("points")[0].GetProperty("accuracy").GetDouble();
            var worst = aggregate[2].GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "worst k=1");
            var expected = Column(noiseCalibrated, Worst1).Zip(Column(standardCalibrated, Worst1)).Average(p => p.First - p.Second);
            Assert.Equal(expected, worst.GetProperty("versusStandard").GetProperty("meanDifference").GetDouble(), 1e-12);
            Assert.Equal(3, worst.GetProperty("versusStandard").GetProperty("seeds").GetInt32());

            // study.md and study.html show the same cell.
            var cell = string.Create(CultureInfo.InvariantCulture, $"{mean * 100:F2} [{value.GetProperty("low").GetDouble() * 100:F2}, {value.GetProperty("high").GetDouble() * 100:F2}] %");
            var md = await File.ReadAllTextAsync(Path.Combine(folder, Study.MarkdownFile));
            Assert.Contains("| standard | calibrated | 3 | ", md, StringComparison.Ordinal);
            Assert.Contains(cell, md, StringComparison.Ordinal);
            var html = await File.ReadAllTextAsync(Path.Combine(folder, Study.HtmlFile));
            Assert.Contains($"<td>{cell}", html, StringComparison.Ordinal);
            Assert.Equal(2, Regex.Count(html, "id=\"plot-study-mc-[a-z]+\""));
            Assert.Equal(2, Regex.Count(html, "id=\"plot-study-wc-[a-z]+\""));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("1,1", "seed 1 is listed twice")]
    [InlineData("1,x", "'x' is not a whole number")]
    [InlineData("-1", "'-1' is not a whole number")]
    public async Task Study_BadSeedsOption_IsAUsageErrorNamingIt(string seeds, string message)
    {
        var config = StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-").FullName);
        var (code, _, error) = await CliHarness.RunAsync("study", "--config", config, "--seeds", seeds);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}

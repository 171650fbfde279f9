using System.Text.Json;
using System.Text.Json.Nodes;
using CimHil.Workflows;
using CimHil.Core.Config;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil study</c> scaled down to seconds: two methods, 300 training samples, one epoch, few chips and images.</summary>
public class StudyCommandTests
{
    internal static string TinyConfig(string root) => CliHarness.ConfigVariant(text =>
    {
        var node = JsonNode.Parse(text)!.AsObject();
        node["study"] = new JsonObject
        {
            ["outputRoot"] = root,
            ["methods"] = new JsonArray("standard", "noise"),
            ["epochs"] = 1,
            ["trainSamples"] = 300,
            ["deviceModel"] = Path.Combine(AppContext.BaseDirectory, "calibration", "emulator-rram.json"),
            ["gaussianModel"] = "gaussian:0.1",
            ["monteCarlo"] = new JsonObject { ["chips"] = 3, ["images"] = 100, ["percentile"] = 1 },
            ["worstCase"] = new JsonObject { ["ks"] = new JsonArray(1, 2, 3), ["images"] = 30, ["steps"] = 2 },
            ["seeds"] = new JsonObject { ["train"] = 2, ["monteCarlo"] = 3, ["worstCase"] = 4 },
            ["parameters"] = new JsonObject { ["sigmaRelative"] = 0.05 },
        };
        return node.ToJsonString();
    });

    // The table lines of study.md (not its run id, checkpoint paths or cache state).
    internal static string TableLines(string markdown) => string.Join("\n", markdown.Split('\n').Where(l => l.StartsWith('|')));

    // The numbers of a study (not its timings, folders or cache state).
    internal static string Numbers(JsonElement results) => string.Join("\n", results.GetProperty("rows").EnumerateArray().Select(r =>
    {
        var mc = r.GetProperty("monteCarlo");
        var wc = r.GetProperty("worstCase").GetProperty("points").EnumerateArray().Select(p => $"{p.GetProperty("k").GetDouble()}:{p.GetProperty("accuracy").GetDouble():R}");
        return $"{r.GetProperty("method").GetString()}/{r.GetProperty("seed").GetInt32()}/{r.GetProperty("model").GetString()} clean {mc.GetProperty("cleanAccuracy").GetDouble():R} " +
            $"chips {mc.GetProperty("chipAccuracies")} p {mc.GetProperty("percentile").GetDouble():R} ci {mc.GetProperty("percentileInterval")} worst {string.Join(",", wc)}";
    }));

    [Fact]
    public async Task Study_WritesTheTable_ReusesCachedModels_AndSameSeedsGiveIdenticalNumbers()
    {
        var root = Directory.CreateTempSubdirectory("cimhil-study-").FullName;
        var config = TinyConfig(root);
        var fresh = Directory.CreateTempSubdirectory("cimhil-study-").FullName;
        try
        {
            var (code, output, error) = await CliHarness.RunAsync("study", "--json", "--config", config);

            Assert.True(code == ExitCodes.Success, error + output);
            var first = CliHarness.Json(output);
            var folder = first.GetProperty("folder").GetString()!;
            Assert.StartsWith(root, folder, StringComparison.Ordinal);
            Assert.All(first.GetProperty("models").EnumerateArray(), m => Assert.False(m.GetProperty("cached").GetBoolean()));
            var rows = first.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(["standard/calibrated", "standard/gaussian", "noise/calibrated", "noise/gaussian"], rows.Select(r => $"{r.GetProperty("method").GetString()}/{r.GetProperty("model").GetString()}"));
            foreach (var r in rows)
            {
                var mc = r.GetProperty("monteCarlo");
                Assert.Equal(3, mc.GetProperty("chipAccuracies").GetArrayLength());
                Assert.Equal(100, mc.GetProperty("images").GetInt32());
                var worst = r.GetProperty("worstCase").GetProperty("points").EnumerateArray().ToList();
                Assert.Equal([1.0, 2, 3], worst.Select(p => p.GetProperty("k").GetDouble()));
                Assert.True(worst[2].GetProperty("accuracy").GetDouble() <= worst[0].GetProperty("accuracy").GetDouble());
            }

            // study.json holds the same numbers, and the seeds and provenance.
            var saved = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, Study.JsonFile))).RootElement;
            Assert.Equal(Numbers(first), Numbers(saved));
            Assert.Equal(3, saved.GetProperty("settings").GetProperty("seeds").GetProperty("monteCarlo").GetInt32());
            Assert.False(string.IsNullOrEmpty(saved.GetProperty("configHash").GetString()));

            // study.md: one table row per method × model, with the clean accuracy and the worst case of the JSON.
            var md = await File.ReadAllLinesAsync(Path.Combine(folder, Study.MarkdownFile));
            Assert.Contains("| method | seed | variation model | epochs (validation) | float | clean | MC mean ± sd | P1 [95 % CI] | clean (worst-case images) | worst k=1 | worst k=2 | worst k=3 |", md);
            var noiseGaussian = Assert.Single(md, l => l.StartsWith("| noise | 2 | gaussian |", StringComparison.Ordinal));
            var clean = (rows[3].GetProperty("monteCarlo").GetProperty("cleanAccuracy").GetDouble() * 100).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " %";
            Assert.Contains($"| {clean} |", noiseGaussian, StringComparison.Ordinal);
            Assert.Equal(4, md.Count(l => l.StartsWith("| standard | 2 |", StringComparison.Ordinal) || l.StartsWith("| noise | 2 |", StringComparison.Ordinal)));

            // A rerun reuses the cached checkpoints (no retraining) and reproduces every number.
            await Task.Delay(1100); // run folders are named by the second
            (code, output, error) = await CliHarness.RunAsync("study", "--json", "--config", config);
            Assert.True(code == ExitCodes.Success, error + output);
            var second = CliHarness.Json(output);
            Assert.All(second.GetProperty("models").EnumerateArray(), m => Assert.True(m.GetProperty("cached").GetBoolean()));
            Assert.NotEqual(folder, second.GetProperty("folder").GetString());
            Assert.Equal(Numbers(first), Numbers(second));

            // Training again from scratch with the same seeds (a fresh cache) gives identical numbers too.
            (code, output, error) = await CliHarness.RunAsync("study", "--json", "--config", config, "--out", fresh);
            Assert.True(code == ExitCodes.Success, error + output);
            var third = CliHarness.Json(output);
            Assert.All(third.GetProperty("models").EnumerateArray(), m => Assert.False(m.GetProperty("cached").GetBoolean()));
            Assert.Equal(Numbers(first), Numbers(third));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(fresh, recursive: true);
        }
    }

    [Fact]
    public async Task Study_UnknownMethodOption_ExitsWithUsageNamingIt()
    {
        var config = TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-").FullName);
        var (code, _, error) = await CliHarness.RunAsync("study", "--config", config, "--methods", "standard,dropout");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'dropout' is unknown", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Study_BadConfigSection_ExitsWith3AndNamesTheJsonPath()
    {
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["study"]!["methods"] = new JsonArray("standard", "magic");
            return node.ToJsonString();
        });
        var (code, _, error) = await CliHarness.RunAsync("study", "--config", config);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("study.methods[1]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ShippedDefaults_StudyAllSixMethodsUnderTheCalibratedAndGaussianModels()
    {
        var config = HilConfigLoader.Load(CliHarness.ShippedConfig);
        var s = StudySettings.Parse(config.Section("study"));
        Assert.Equal(["standard", "noise", "rcn", "hessian", "biscale", "atrice"], s.Methods);
        Assert.Equal([1.0, 2, 3], s.WorstCaseKs);
        Assert.Equal("calibration/emulator-rram.json", s.DeviceModel);
        Assert.Equal(Path.Combine("runs", "study-models"), s.ModelCacheFolder);
    }

    [Theory]
    [InlineData("""{"worstCase": {"ks": [1, -2]}}""", "study.worstCase.ks[1]")]
    [InlineData("""{"worstCase": {"ks": [1e308]}}""", "study.worstCase.ks[0]")]
    [InlineData("""{"gaussianModel": "calibration/emulator-rram.json"}""", "study.gaussianModel")]
    [InlineData("""{"parameters": {"biScaleRatio": 1}}""", "study.parameters.biScaleRatio")]
    [InlineData("""{"parameters": {"thresholdSigmas": "high"}}""", "study.parameters.thresholdSigmas")]
    [InlineData("""{"epochs": 0}""", "study.epochs")]
    [InlineData("""{"chips": 10}""", "study.chips")]
    public void Parse_BadValue_FailsWithItsJsonPath(string json, string path)
    {
        var section = new JsonSection(JsonSection.Parse(json, "t").Element, "study");
        var ex = Assert.Throws<ConfigException>(() => StudySettings.Parse(section));
        Assert.Equal(path, ex.JsonPath);
    }
}

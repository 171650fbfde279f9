using System.Text.Json;
using System.Text.Json.Nodes;
using CimHil.Workflows;

namespace CimHil.Cli.Tests;

/// <summary>
/// The main job end to end on the emulator, scaled down (few chips, few images) so it runs in CI: every stage's file
/// is written, the report passes the browser check, and a resumed run keeps what was measured.
/// </summary>
public class RunPipelineTests
{
    /// <summary>A config whose run is scaled down to CI size, writing under a new temporary output root.</summary>
    internal static (string Config, string Root) SmallRun()
    {
        var root = Directory.CreateTempSubdirectory("cimhil-run-").FullName;
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            var baseDir = AppContext.BaseDirectory;
            node["run"] = new JsonObject
            {
                ["outputRoot"] = root,
                ["plan"] = Path.Combine(baseDir, "plans", "default-rram.json"),
                ["model"] = Path.Combine(baseDir, "models", "lenet5-fmnist.safetensors"),
                ["seed"] = 3,
                ["monteCarlo"] = new JsonObject { ["chips"] = 8, ["images"] = 300, ["percentile"] = 10 },
                ["worstCase"] = new JsonObject { ["ks"] = new JsonArray(0, 1, 3), ["images"] = 100, ["method"] = "default" },
                ["calibration"] = new JsonObject { ["bootstrapSamples"] = 20 },
                ["screenshot"] = true,
            };
            return node.ToJsonString();
        });
        return (config, root);
    }

    [Fact]
    public async Task Run_OnTheEmulator_WritesEveryStageAndAReportThatRendersInChromium()
    {
        var (config, root) = SmallRun();

        var (code, output, error) = await CliHarness.RunAsync("run", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var results = CliHarness.Json(output);
        var folder = results.GetProperty("folder").GetString()!;
        Assert.StartsWith(root, folder, StringComparison.Ordinal);
        foreach (var file in new[] { "measurements.db", "calibration.json", "monte-carlo.json", "worst-case.json", "results.json", "report.html", "report.png", "run.log" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} missing in {folder}");
        }

        var mc = results.GetProperty("monteCarlo");
        Assert.Equal(8, mc.GetProperty("chipAccuracies").GetArrayLength());
        Assert.InRange(mc.GetProperty("cleanAccuracy").GetDouble(), 0.5, 1.0);

        // Worst case: k = 0 is the clean mapped accuracy, and accuracy never rises with the bound.
        var points = results.GetProperty("worstCase").GetProperty("points").EnumerateArray().Select(p => (K: p.GetProperty("k").GetDouble(), Acc: p.GetProperty("accuracy").GetDouble())).ToList();
        Assert.Equal([0.0, 1.0, 3.0], points.Select(p => p.K));
        Assert.Equal(results.GetProperty("worstCase").GetProperty("cleanAccuracy").GetDouble(), points[0].Acc, 12);
        for (var i = 1; i < points.Count; i++)
        {
            Assert.True(points[i].Acc <= points[i - 1].Acc, $"k={points[i].K}: {points[i].Acc} > {points[i - 1].Acc}");
        }

        var html = await File.ReadAllTextAsync(Path.Combine(folder, "report.html"));

        // The report names the effects its Monte-Carlo figures include, as monte-carlo.json does (issue #20, item 6).
        var variation = CliHarness.Json(await File.ReadAllTextAsync(Path.Combine(folder, "monte-carlo.json"))).GetProperty("variation").GetString()!;
        Assert.Contains("programming error, read noise", variation, StringComparison.Ordinal);
        Assert.Contains($"({System.Net.WebUtility.HtmlEncode(variation)})", html, StringComparison.Ordinal);
        foreach (var plot in new[] { "conductance-map", "level-histograms", "sigma-vs-g", "drift", "mc-histogram", "worst-case" })
        {
            Assert.Contains($"data-plot=\"{plot}\"", html, StringComparison.Ordinal);
        }

        // Chromium opened the report: no console errors, no failed requests, every plot visible and drawn with its data.
        var check = results.GetProperty("reportCheck");
        Assert.Equal(0, check.GetProperty("consoleErrors").GetArrayLength());
        Assert.Equal(0, check.GetProperty("failedRequests").GetArrayLength());
        var plots = check.GetProperty("plots").EnumerateArray().ToList();
        Assert.True(plots.Count >= 6, $"{plots.Count} plots");
        foreach (var plot in plots)
        {
            var id = plot.GetProperty("id").GetString();
            Assert.True(plot.GetProperty("visible").GetBoolean(), $"{id} not visible");
            Assert.True(plot.GetProperty("markCount").GetInt32() > 0, $"{id} drew no data");
            Assert.Equal(plot.GetProperty("declaredPoints").GetInt32(), plot.GetProperty("markCount").GetInt32());
        }

        // The screenshot is a real PNG written by Chromium.
        var png = await File.ReadAllBytesAsync(Path.Combine(folder, "report.png"));
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
    }

    [Fact]
    public async Task Run_Resumed_KeepsTheMeasurementsAndRecomputesOnlyMissingStages()
    {
        var (config, _) = SmallRun();
        var (code, output, error) = await CliHarness.RunAsync("run", "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error);
        var first = CliHarness.Json(output);
        var folder = first.GetProperty("folder").GetString()!;
        var calibrationBefore = await File.ReadAllTextAsync(Path.Combine(folder, "calibration.json"));
        File.Delete(Path.Combine(folder, "worst-case.json"));
        File.Delete(Path.Combine(folder, "report.html"));

        (code, output, error) = await CliHarness.RunAsync("run", "--json", "--resume", folder, "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var second = CliHarness.Json(output);
        Assert.Equal(first.GetProperty("measurements").GetInt64(), second.GetProperty("measurements").GetInt64());
        Assert.Equal(calibrationBefore, await File.ReadAllTextAsync(Path.Combine(folder, "calibration.json")));
        Assert.Equal(
            first.GetProperty("monteCarlo").GetProperty("chipAccuracies").ToString(),
            second.GetProperty("monteCarlo").GetProperty("chipAccuracies").ToString());
        Assert.Equal(
            first.GetProperty("worstCase").GetProperty("points").ToString(),
            second.GetProperty("worstCase").GetProperty("points").ToString());
        Assert.True(File.Exists(Path.Combine(folder, "report.html")));
    }

    [Fact]
    public async Task Run_ResumedWithTruncatedStageFiles_RecomputesThoseStagesWithAWarningAndTheSameNumbers()
    {
        var (config, _) = SmallRun();
        var (code, output, error) = await CliHarness.RunAsync("run", "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error);
        var first = CliHarness.Json(output);
        var folder = first.GetProperty("folder").GetString()!;
        var stages = new Dictionary<string, string> { ["calibration.json"] = "calibrate", ["monte-carlo.json"] = "monte-carlo", ["worst-case.json"] = "worst-case" };
        var before = stages.Keys.ToDictionary(f => f, f => File.ReadAllText(Path.Combine(folder, f)));

        // Half-written files, as an older version writing in place left them when it was killed mid-write.
        foreach (var file in stages.Keys.Append("results.json").Append("report.html"))
        {
            var path = Path.Combine(folder, file);
            var bytes = await File.ReadAllBytesAsync(path);
            await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        }

        (code, output, error) = await CliHarness.RunAsync("run", "--json", "--resume", folder, "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var second = CliHarness.Json(output);
        var log = await File.ReadAllTextAsync(Path.Combine(folder, "run.log"));
        foreach (var (file, stage) in stages)
        {
            var path = Path.Combine(folder, file);
            Assert.Equal(WithoutSeconds(before[file]), WithoutSeconds(await File.ReadAllTextAsync(path)));
            Assert.Equal(before[file].Length / 2, new FileInfo(path + ".damaged").Length);
            Assert.Contains($"[WRN] Stage {stage}: {path} is damaged (", log, StringComparison.Ordinal);
            Assert.Contains($"set aside as {path}.damaged, recomputing the stage", log, StringComparison.Ordinal);
        }

        Assert.Equal(first.GetProperty("measurements").GetInt64(), second.GetProperty("measurements").GetInt64());
        Assert.Equal(WithoutSeconds(first.GetProperty("monteCarlo").ToString()), WithoutSeconds(second.GetProperty("monteCarlo").ToString()));
        Assert.Equal(first.GetProperty("worstCase").GetProperty("points").ToString(), second.GetProperty("worstCase").GetProperty("points").ToString());
        Assert.EndsWith("</html>", (await File.ReadAllTextAsync(Path.Combine(folder, "report.html"))).TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(folder, CliHarness.Json(await File.ReadAllTextAsync(Path.Combine(folder, "results.json"))).GetProperty("folder").GetString());
    }

    /// <summary>A stage's JSON without wall-clock durations and times ("seconds", "…Utc"), which a recomputation cannot reproduce.</summary>
    private static string WithoutSeconds(string json)
    {
        var node = JsonNode.Parse(json)!;
        Strip(node);
        return node.ToJsonString();

        static void Strip(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                foreach (var key in o.Select(p => p.Key).Where(k => k == "seconds" || k.EndsWith("Utc", StringComparison.Ordinal)).ToList())
                {
                    o.Remove(key);
                }

                foreach (var (_, child) in o)
                {
                    Strip(child);
                }
            }
            else if (n is JsonArray a)
            {
                foreach (var child in a)
                {
                    Strip(child);
                }
            }
        }
    }

    [Fact]
    public async Task Run_WithoutJson_PrintsTheSummaryTable()
    {
        var (config, _) = SmallRun();
        var (code, _, error) = await CliHarness.RunAsync("run", "--config", config);
        Assert.True(code == ExitCodes.Success, error);
    }

    [Fact]
    public async Task Run_BadRunSection_NamesThePath()
    {
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["run"]!["worstCase"]!["method"] = "guess";
            return node.ToJsonString();
        });
        var (code, _, error) = await CliHarness.RunAsync("run", "--config", config);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("run.worstCase.method", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PlanWithAnIvStepAboveTheReadLimit_IsRefusedBeforeTheMeasurementStoreExists()
    {
        var baseDir = AppContext.BaseDirectory;
        var plan = Path.Combine(Directory.CreateTempSubdirectory("cimhil-plan-").FullName, "bad.json");
        File.WriteAllText(plan, File.ReadAllText(Path.Combine(baseDir, "plans", "default-rram.json")).Replace("0.45, 0.5]", "0.45, 0.8]", StringComparison.Ordinal));
        var root = Directory.CreateTempSubdirectory("cimhil-run-").FullName;
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["run"] = new JsonObject { ["outputRoot"] = root, ["plan"] = plan };
            return node.ToJsonString();
        });

        var (code, _, error) = await CliHarness.RunAsync("run", "--config", config, "--json");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("ivSweep.voltagesV[9]: read refused: read voltage 0.8 V exceeds the maximum 0.5 V", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(root, RunPipeline.DatabaseFile, SearchOption.AllDirectories));
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CimHil.Cli.Tests;

/// <summary>
/// <c>cimhil run</c> killed with SIGKILL at random instants (characterisation and later stages) and resumed: the results
/// are the uninterrupted run's. Before the fix a kill inside characterisation gave an MC mean of 9 % instead of 68 % with exit 0.
/// </summary>
public sealed class RunResumeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string PlanJson = """
        {
          "name": "run-resume", "readVoltageV": 0.2, "seed": 3,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 80,
            "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8, "gateV": 2.0 },
            "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 },
            "finalReads": 2
          },
          "forming": { "amplitudeV": 3.0, "stepV": 0.1, "maxAmplitudeV": 4.0, "widthSeconds": 1e-5, "complianceA": 1e-4 },
          "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-6, "gateV": 3.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-6 }, "pulses": 6 },
          "multilevel": { "targetsS": [5e-6, 20e-6, 40e-6, 60e-6, 80e-6] },
          "cycleToCycle": { "startTargetS": 20e-6, "probe": { "amplitudeV": 0.95, "widthSeconds": 1e-6, "gateV": 2.0 }, "repeats": 3, "probeReads": 2, "sampleCount": 16 },
          "readNoise": { "targetsS": [10e-6, 50e-6], "reads": 8, "sampleCount": 32 },
          "drift": { "targetsS": [20e-6, 60e-6], "firstSeconds": 1, "lastSeconds": 1000, "pointsPerDecade": 2, "sampleCount": 16 }
        }
        """;

    private static string Config(string root)
    {
        var plan = Path.Combine(root, "plan.json");
        File.WriteAllText(plan, PlanJson);
        return CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["emulator"]!["rows"] = 24;
            node["emulator"]!["columns"] = 24;
            node["run"] = new JsonObject
            {
                ["outputRoot"] = root,
                ["plan"] = plan,
                ["model"] = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors"),
                ["seed"] = 5,
                ["monteCarlo"] = new JsonObject { ["chips"] = 6, ["images"] = 200, ["percentile"] = 10 },
                ["worstCase"] = new JsonObject { ["ks"] = new JsonArray(0, 1), ["images"] = 60, ["method"] = "default" },
                ["calibration"] = new JsonObject { ["bootstrapSamples"] = 20 },
                ["screenshot"] = false,
            };
            return node.ToJsonString();
        });
    }

    [Fact]
    public async Task Run_KilledAtRandomInstantsAndResumed_GivesTheUninterruptedResults()
    {
        var fullRoot = Directory.CreateTempSubdirectory("cimhil-run-full-").FullName;
        var (code, text, error) = await CliHarness.RunAsync("run", "--json", "--config", Config(fullRoot));
        Assert.True(code == ExitCodes.Success, error);
        var full = CliHarness.Json(text);

        var root = Directory.CreateTempSubdirectory("cimhil-run-killed-").FullName;
        var config = Config(root);
        var random = new Random(3120);
        string? folder = null;
        var kills = 0;
        for (var attempt = 0; attempt < 6 && kills < 3; attempt++)
        {
            string[] args = folder is null
                ? [Path.Combine(AppContext.BaseDirectory, "cimhil.dll"), "run", "--json", "--config", config]
                : [Path.Combine(AppContext.BaseDirectory, "cimhil.dll"), "run", "--json", "--resume", folder, "--config", config];
            using var child = Process.Start(new ProcessStartInfo("dotnet", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            _ = child.StandardOutput.ReadToEndAsync();
            var errors = child.StandardError.ReadToEndAsync();

            // The random instant counts from the run folder's creation, not from the process start, which a loaded machine
            // stretches past a fixed delay (the first kill then found no folder at all).
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (folder is null && Directory.GetDirectories(root).Length == 0 && !child.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            await Task.Delay(TimeSpan.FromSeconds(1.0 + (2.0 * random.NextDouble())));
            var exited = child.HasExited;
            Assert.False(exited && child.ExitCode != 0, $"a resume failed (exit {(exited ? child.ExitCode : 0)}): {(exited ? await errors : string.Empty)}");
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            folder ??= Directory.GetDirectories(root).Single();
            var stages = new[] { "calibration.json", "monte-carlo.json", "worst-case.json", "report.html" }.Where(f => File.Exists(Path.Combine(folder, f)));
            output.WriteLine($"{(exited ? "finished before the kill" : "killed")}; files: {string.Join(", ", stages)}");
            if (exited)
            {
                break;
            }

            kills++;
        }

        Assert.True(kills >= 1, "no kill landed");
        (code, text, error) = await CliHarness.RunAsync("run", "--json", "--resume", folder!, "--config", config);
        Assert.True(code == ExitCodes.Success, error);
        var resumed = CliHarness.Json(text);

        Assert.Equal(full.GetProperty("measurements").GetInt64(), resumed.GetProperty("measurements").GetInt64());
        Assert.Equal(full.GetProperty("monteCarlo").GetProperty("chipAccuracies").ToString(), resumed.GetProperty("monteCarlo").GetProperty("chipAccuracies").ToString());
        static string Points(System.Text.Json.JsonElement r) => string.Join(";", r.GetProperty("worstCase").GetProperty("points").EnumerateArray()
            .Select(p => $"{p.GetProperty("k").GetDouble():R}:{p.GetProperty("accuracy").GetDouble():R}"));
        Assert.Equal(Points(full), Points(resumed));
        Assert.Equal(full.GetProperty("warnings").ToString(), resumed.GetProperty("warnings").ToString());
    }
}

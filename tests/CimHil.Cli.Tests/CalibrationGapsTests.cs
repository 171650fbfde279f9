using System.Text.Json.Nodes;

namespace CimHil.Cli.Tests;

/// <summary>A fit that lacks what the plan measured is never silent: a warning, or under --strict exit 3 and no model.</summary>
public sealed class CalibrationGapsTests
{
    // The last multilevel target (1 mS) is far above the array's window: no cell converges there, so no level is fitted.
    internal const string PlanJson = """
        {
          "name": "gap", "readVoltageV": 0.2, "seed": 3,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 20,
            "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8, "gateV": 2.0 },
            "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 },
            "finalReads": 2
          },
          "forming": { "amplitudeV": 3.0, "stepV": 0.1, "maxAmplitudeV": 4.0, "widthSeconds": 1e-5, "complianceA": 1e-4 },
          "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-6, "gateV": 3.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-6 }, "pulses": 6 },
          "multilevel": { "targetsS": [10e-6, 30e-6, 50e-6, 1e-3] }
        }
        """;

    [Fact]
    public async Task Calibrate_ALevelWithoutConvergedCells_WarnsAndWrites_StrictExits3AndWritesNothing()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-gaps-").FullName;
        var plan = Path.Combine(dir, "plan.json");
        File.WriteAllText(plan, PlanJson);
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["emulator"]!["rows"] = 16;
            node["emulator"]!["columns"] = 16;
            return node.ToJsonString();
        });
        var db = Path.Combine(dir, "run.db");
        var (code, _, error) = await CliHarness.RunAsync("characterize", "--plan", plan, "--out", db, "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error);

        var model = Path.Combine(dir, "model.json");
        (code, _, error) = await CliHarness.RunAsync("calibrate", db, "--out", model, "--bootstrap", "10", "--config", config);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("warning: 3 of 4 multilevel levels fitted; no converged cells at 1000 µS", error, StringComparison.Ordinal);
        Assert.True(File.Exists(model));

        var strictModel = Path.Combine(dir, "strict.json");
        (code, _, error) = await CliHarness.RunAsync("calibrate", db, "--out", strictModel, "--bootstrap", "10", "--strict", "--config", config);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("--strict: the calibrated model is incomplete (3 of 4 multilevel levels fitted; no converged cells at 1000 µS); no model was written", error, StringComparison.Ordinal);
        Assert.False(File.Exists(strictModel));
    }
}

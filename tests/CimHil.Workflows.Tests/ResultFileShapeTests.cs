using System.Text.Json;
using CimHil.Core.Config;
using CimHil.Simulation.Mapping;

namespace CimHil.Workflows.Tests;

/// <summary>results.json and study.json keep their keys and order: the shared header and settings are code, not format.</summary>
public class ResultFileShapeTests
{
    private static string[] Keys(JsonElement e) => [.. e.EnumerateObject().Select(p => p.Name)];

    private static JsonElement Serialise<T>(T value) => JsonDocument.Parse(JsonSerializer.Serialize(value, WorkflowJson.Options)).RootElement;

    [Fact]
    public void RunResults_ReadBackAndWrittenAgain_KeysInTheirFileOrder()
    {
        // Only the required keys, in a different order: what comes out is results.json's order, header first.
        const string json = """
            {"report": "report.html", "model": "m.safetensors", "calibration": "calibration.json", "database": "measurements.db",
             "configHash": "hash", "driver": "emulator", "chip": "chip", "startedUtc": "2026-01-01T00:00:00+00:00",
             "folder": "runs/20260101-000000", "runId": "20260101-000000"}
            """;
        var results = JsonSerializer.Deserialize<RunResults>(json, WorkflowJson.Options)!;

        Assert.Equal(
            ["runId", "folder", "startedUtc", "finishedUtc", "chip", "driver", "configHash", "database", "measurements", "calibration", "calibrationReport", "model", "modelFloatAccuracy", "monteCarlo", "worstCase", "report", "screenshot", "reportCheck", "stageSeconds", "warnings", "source"],
            Keys(Serialise(results)));
    }

    [Fact]
    public void StudyResults_KeysAndFlatSettingsInTheirFileOrder()
    {
        var results = Study.SyntheticStudy.Results(models: [], rows: [], settingsJson: "{}");

        var json = Serialise(results);
        Assert.Equal(["runId", "folder", "startedUtc", "finishedUtc", "configHash", "softwareVersion", "host", "dataset", "settings", "mapping", "models", "rows", "aggregate", "stageSeconds"], Keys(json));
        Assert.Equal(
            ["outputRoot", "modelCache", "modelCacheFolder", "methods", "model", "epochs", "validationFraction", "patience", "schedule", "trainSamples", "batchSize", "learningRate", "deviceModel", "gaussianModel", "monteCarloChips", "monteCarloImages", "percentile", "worstCaseKs", "worstCaseImages", "worstCaseMethod", "worstCaseSteps", "worstCaseRestarts", "seeds", "parameters", "rcnSearch"],
            Keys(json.GetProperty("settings")));
        Assert.Equal(200, json.GetProperty("settings").GetProperty("worstCaseImages").GetInt32());
    }
}

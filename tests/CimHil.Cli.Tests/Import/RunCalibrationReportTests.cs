using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CimHil.Core.Devices;

namespace CimHil.Cli.Tests.Import;

/// <summary>
/// Issue #16: <c>cimhil run</c> writes the calibration report (the one <c>cimhil calibrate</c> writes) beside its
/// calibration.json, and report.html links it; a resumed run whose report went missing writes it again from the same model.
/// </summary>
public class RunCalibrationReportTests
{
    [Fact]
    public async Task Run_WritesTheCalibrationReportBesideCalibrationJson_AndTheRunReportLinksIt()
    {
        var dir = ImportFiles.TempDir();
        var tsv = ImportFiles.Write(dir, "pv.tsv", new GeneratedArray(seed: 31, unverifiedFraction: 0.05).HeaderlessTsvOhms());
        var db = Path.Combine(dir, "imported.db");
        var (code, output, error) = await CliHarness.RunAsync("import", tsv, "--map", ImportFiles.Write(dir, "pv.map.json", Mappings.HeaderlessTsvOhms), "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);
        var root = Directory.CreateTempSubdirectory("cimhil-run-").FullName;
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["run"] = new JsonObject
            {
                ["outputRoot"] = root,
                ["model"] = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors"),
                ["seed"] = 5,
                ["monteCarlo"] = new JsonObject { ["chips"] = 2, ["images"] = 100, ["percentile"] = 10 },
                ["worstCase"] = new JsonObject { ["ks"] = new JsonArray(0, 1), ["images"] = 50, ["method"] = "default" },
                ["calibration"] = new JsonObject { ["bootstrapSamples"] = 20 },
                ["screenshot"] = false,
            };
            return node.ToJsonString();
        });

        (code, output, error) = await CliHarness.RunAsync("run", "--from-store", db, "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error + output);
        var results = CliHarness.Json(output);
        var folder = results.GetProperty("folder").GetString()!;
        var path = Path.Combine(folder, "calibration.report.html");
        Assert.Equal(path, results.GetProperty("calibrationReport").GetString());
        Assert.True(File.Exists(path), $"{path} missing");

        // It is the report of the model the run simulated, with the provenance of the imported file and the failures.
        var model = DeviceModelFile.Load(Path.Combine(folder, "calibration.json"));
        var html = await File.ReadAllTextAsync(path);
        Assert.Contains(System.Net.WebUtility.HtmlEncode($"Calibration of {model.Name}"), html, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(tsv))), html, StringComparison.Ordinal);
        Assert.Contains("pv.tsv", html, StringComparison.Ordinal);

        // report.html links it by a relative path (the run folder can be moved or archived whole).
        var report = await File.ReadAllTextAsync(Path.Combine(folder, "report.html"));
        Assert.Contains("<a href=\"calibration.report.html\">calibration.report.html</a>", report, StringComparison.Ordinal);

        // A resume finds calibration.json finished but its report gone: the report is written again, the model is not refitted.
        var modelBytes = await File.ReadAllBytesAsync(Path.Combine(folder, "calibration.json"));
        File.Delete(path);
        (code, output, error) = await CliHarness.RunAsync("run", "--resume", folder, "--from-store", db, "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error + output);
        Assert.True(File.Exists(path), $"{path} not rewritten on resume");
        Assert.Equal(modelBytes, await File.ReadAllBytesAsync(Path.Combine(folder, "calibration.json")));
        Assert.Contains(System.Net.WebUtility.HtmlEncode($"Calibration of {model.Name}"), await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }
}

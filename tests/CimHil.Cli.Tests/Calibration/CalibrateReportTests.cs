using System.Text.RegularExpressions;
using CimHil.Cli.Commands;
using CimHil.Cli.Tests.Import;
using CimHil.Core.Devices;

namespace CimHil.Cli.Tests.Calibration;

/// <summary><c>cimhil calibrate</c> on imported data writes the calibration report beside the model and says where.</summary>
public class CalibrateReportTests
{
    [Fact]
    public async Task ImportedProgramVerifyAndBake_Calibrate_WritesTheReportBesideTheModel()
    {
        var dir = ImportFiles.TempDir();
        var array = new GeneratedArray(seed: 41, unverifiedFraction: 0.05);
        var data = ImportFiles.Write(dir, "pv.tsv", array.HeaderlessTsvOhms());
        var db = Path.Combine(dir, "pv.db");
        var (code, output, error) = await CliHarness.RunAsync("import", data, "--map", ImportFiles.Write(dir, "pv.map.json", Mappings.HeaderlessTsvOhms), "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);
        var bake = ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(seed: 42).Text);
        (code, output, error) = await CliHarness.RunAsync("import", bake, "--map", ImportFiles.Write(dir, "bake.map.json", Mappings.Retention), "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);

        var modelPath = Path.Combine(dir, "cal", "lab.json");
        Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
        (code, output, error) = await CliHarness.RunAsync("calibrate", db, "--out", modelPath, "--bootstrap", "20");
        Assert.True(code == ExitCodes.Success, error + output);
        var reportPath = Path.Combine(dir, "cal", "lab.report.html");
        Assert.Equal(reportPath, CalibrateCommand.ReportPath(modelPath));
        Assert.Contains($"report → {reportPath}", output);
        var html = await File.ReadAllTextAsync(reportPath);

        // Sections: per-level histograms, failures and outliers, σ(G), relaxation, provenance; one SVG panel per level.
        foreach (var id in new[] { "levels", "failures", "sigma", "relaxation", "provenance" })
        {
            Assert.Contains($"<section id=\"{id}\">", html);
        }

        Assert.Equal(GeneratedArray.TargetsS.Length, Regex.Count(html, "data-plot=\"calibration-level-\\d\""));

        // The never-verified counts of the model, per level, are in the report (and in the console output).
        var model = DeviceModelFile.Load(modelPath);
        for (var i = 0; i < GeneratedArray.TargetsS.Length; i++)
        {
            var expected = array.Cells.Count(c => c.Level == i && !c.Verified);
            var v = model.Programming.Levels[i].Verification!;
            Assert.Equal(expected, v.Failed);
            Assert.Contains($"never verified {expected}/{v.Attempted}", output);
            Assert.Contains($"<td>{v.Attempted}</td><td>{expected}</td>", html);
        }

        // Provenance of the imported data: each file's SHA-256 and the bake phases.
        foreach (var file in new[] { data, bake })
        {
            Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file))), html);
        }

        Assert.Contains("<b>pre-bake</b>", html);
        Assert.Contains("<b>post-bake</b>", html);
        Assert.Equal("pre-bake", model.Relaxation!.Before);
        Assert.Equal(358.15, model.Relaxation.AfterTemperatureK!.Value, 9);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }
}

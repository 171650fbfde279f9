using CimHil.Calibration;
using CimHil.Characterization.Import;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

namespace CimHil.Cli.Tests.Import;

/// <summary>Each layout imported, then calibrated unchanged: the per-level σ the generator used comes back within its sampling tolerance.</summary>
public class ImportCalibrationTests
{
    [Fact]
    public async Task HeaderlessTsvInOhms_CalibrateThroughTheCli_RecoversEveryLevelSigma()
    {
        var dir = ImportFiles.TempDir();
        var array = new GeneratedArray(seed: 11, unverifiedFraction: 0.05);
        var data = ImportFiles.Write(dir, "pv.tsv", array.HeaderlessTsvOhms());
        var map = ImportFiles.Write(dir, "pv.map.json", Mappings.HeaderlessTsvOhms);
        var db = Path.Combine(dir, "pv.db");

        var (code, output, error) = await CliHarness.RunAsync("import", data, "--map", map, "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);
        Assert.Contains($"{array.Cells.Count * GeneratedArray.Reads} ProgramVerify records in {array.Cells.Count} units", output);

        var modelPath = Path.Combine(dir, "model.json");
        (code, output, error) = await CliHarness.RunAsync("calibrate", db, "--out", modelPath, "--bootstrap", "20");
        Assert.True(code == ExitCodes.Success, error + output);
        AssertLevels(DeviceModelFile.Load(modelPath), array);

        // The fitted model serves the simulation unchanged: a small Monte-Carlo evaluation with it.
        var network = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");
        (code, output, error) = await CliHarness.RunAsync("evaluate", "--model", network, "--device-model", modelPath, "--chips", "2", "--images", "20", "--json", "--config", CliHarness.ShippedConfig);
        Assert.True(code == ExitCodes.Success, error + output);
        Assert.InRange(CliHarness.Json(output).GetProperty("mean").GetDouble(), 0.05, 1.0);

        // Unverified cells are stored not-converged, and calibration leaves them out.
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        Assert.Equal(array.Cells.Count(c => !c.Verified), store.Units(ProcedureNames.Multilevel).Count(u => u.Outcome == ProcedureNames.NotConverged));
        var unit = store.Units(ProcedureNames.Multilevel).First(u => u.Key.Row == 0 && u.Key.Column == 1);
        var cell = array.Cells.Single(c => c.Row == 0 && c.Column == 1);
        Assert.Equal(cell.SetPulses + cell.ResetPulses, unit.Pulses);
        Assert.Equal(cell.TargetS, unit.TargetS!.Value, 1e-12);
        Assert.Equal(cell.ReadsS.Average(), unit.ValueS!.Value, 1e-12);
    }

    [Fact]
    public async Task CsvWithHeaderInMicrosiemens_Calibrator_RecoversEveryLevelSigma()
    {
        var dir = ImportFiles.TempDir();
        var array = new GeneratedArray(seed: 12);
        var db = Path.Combine(dir, "csv.db");
        var summary = await MeasurementImporter.ImportAsync([ImportFiles.Write(dir, "pv.csv", array.CsvMicrosiemens())], ImportMapping.Parse(Mappings.CsvMicrosiemens), db, new ImportOptions(), CancellationToken.None);

        Assert.Equal(array.Cells.Count * GeneratedArray.Reads, summary.Records);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        AssertLevels(Calibrator.Fit(store, "csv", new CalibrationOptions { BootstrapSamples = 20 }), array);

        // Provenance: the file's SHA-256, the mapping as given, the import time.
        var import = Assert.Single(store.Imports());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "pv.csv")))), Assert.Single(import.Files).Sha256);
        Assert.Equal(Mappings.CsvMicrosiemens, import.MappingJson);
        Assert.InRange(import.ImportedUtc, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Hdf5File_Calibrator_RecoversEveryLevelSigma()
    {
        var dir = ImportFiles.TempDir();
        var array = new GeneratedArray(seed: 13);
        var db = Path.Combine(dir, "h5.db");
        await MeasurementImporter.ImportAsync([ImportFiles.Hdf5(dir, array)], ImportMapping.Parse(Mappings.Hdf5), db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        AssertLevels(Calibrator.Fit(store, "h5", new CalibrationOptions { BootstrapSamples = 20 }), array);

        // A current at its read voltage is stored as both, and the conductance is their ratio.
        var read = store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final).First();
        Assert.Equal(read.CurrentA!.Value / read.VoltageV!.Value, read.ConductanceS!.Value, 1e-15);

        // String datasets are read too: the phase of every read is its level's label.
        var notes = store.ImportAnnotations();
        Assert.All(store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final), m => Assert.Equal(m.Key.Step % 2 == 0 ? "even-level" : "odd-level", notes[m.Key].Phase));
    }

    [Fact]
    public async Task RetentionAcrossABake_AddedToAProgramVerifyStore_CalibratesTheDriftExponent()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "drift.db");
        await MeasurementImporter.ImportAsync([ImportFiles.Write(dir, "pv.csv", new GeneratedArray(seed: 14).CsvMicrosiemens())], ImportMapping.Parse(Mappings.CsvMicrosiemensOn32x32), db, new ImportOptions(), CancellationToken.None);
        var retention = new GeneratedRetention(seed: 15);
        var summary = await MeasurementImporter.ImportAsync([ImportFiles.Write(dir, "bake.txt", retention.Text)], ImportMapping.Parse(Mappings.Retention), db, new ImportOptions(), CancellationToken.None);

        Assert.False(summary.CreatedStore);
        Assert.Equal(GeneratedRetention.Cells * GeneratedRetention.Points.Length * 2, summary.Records);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var model = Calibrator.Fit(store, "drift", new CalibrationOptions { BootstrapSamples = 20 });
        var drift = Assert.IsType<DriftModel>(model.Drift);
        Assert.Equal(GeneratedRetention.T0Seconds, drift.T0Seconds);
        foreach (var target in GeneratedRetention.LevelTargetsS)
        {
            Assert.InRange(drift.NuMean.Evaluate(model.Window.Normalise(target)), GeneratedRetention.NuMean - GeneratedRetention.NuTolerance, GeneratedRetention.NuMean + GeneratedRetention.NuTolerance);
        }

        // The bake phase and the temperature are kept with every read; steps are the five time points of each cell.
        var notes = store.ImportAnnotations();
        var reads = store.Measurements(ProcedureNames.Drift, MeasurementRoles.Drift).Where(m => m.Key.Row == 0 && m.Key.Column == 0).ToList();
        Assert.Equal([1, 1, 2, 2, 3, 3, 4, 4, 5, 5], reads.Select(m => m.Key.Step));
        Assert.Equal(["pre-bake", "pre-bake", "pre-bake", "post-bake", "post-bake"], reads.Where(m => m.Key.Seq == 0).Select(m => notes[m.Key].Phase));
        Assert.All(reads, m => Assert.Equal(358.15, notes[m.Key].TemperatureK));
        Assert.Equal(GeneratedRetention.Points.Select(p => p.Seconds), reads.Where(m => m.Key.Seq == 0).Select(m => Math.Round(m.ElapsedSeconds!.Value, 6)));
        Assert.Equal(2, store.Imports().Count);
    }

    [Fact]
    public async Task LevelWithOneVerifiedCell_CalibrateRefusesNamingTheLevel_AndWritesNoModel()
    {
        // Five cells over four levels: level 0 holds two, levels 1–3 one each, so level 1 (30 µS) has no spread.
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "small.db");
        var (code, output, error) = await CliHarness.RunAsync("import", ImportFiles.Write(dir, "pv.csv", new GeneratedArray(seed: 16, cells: 5).CsvMicrosiemens()), "--map", ImportFiles.Write(dir, "map.json", Mappings.CsvMicrosiemens), "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);

        var modelPath = Path.Combine(dir, "model.json");
        (code, _, error) = await CliHarness.RunAsync("calibrate", db, "--out", modelPath, "--bootstrap", "10");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{db}: multilevel level 1 (target 30 µS) has 1 verified cell of 1; the spread of a level needs at least 2", error, StringComparison.Ordinal);
        Assert.False(File.Exists(modelPath));
    }

    private static void AssertLevels(DeviceVariationModel model, GeneratedArray array)
    {
        Assert.Equal(GeneratedArray.TargetsS.Length, model.Programming.Levels.Length);
        for (var i = 0; i < GeneratedArray.TargetsS.Length; i++)
        {
            var level = model.Programming.Levels[i];
            Assert.Equal(GeneratedArray.TargetsS[i], level.TargetS, 1e-12);
            // Verified cells are the fitted ones plus the robust outliers calibration counts apart (a normal sample has a few).
            Assert.Equal(array.CellsAt(i), level.Count + (level.Verification?.Outliers ?? 0));
            var tolerance = array.SigmaTolerance(i);
            Assert.True(Math.Abs(level.SigmaS - GeneratedArray.SigmaS[i]) <= tolerance, $"level {i}: σ {level.SigmaS:E3} S, generated {GeneratedArray.SigmaS[i]:E3} S ± {tolerance:E3}");
        }
    }
}

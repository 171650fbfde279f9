using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Workflows;

namespace CimHil.Cli.Tests.Import;

/// <summary>
/// <c>cimhil run --from-store</c> (issue #16, item 4): a run made from a real import of a generated fixture, with a bench
/// configured that cannot be reached — so a run that opened it would fail — and the errors a store can give.
/// </summary>
public class RunFromStoreTests
{
    /// <summary>A config whose chip is a board at a closed port (connecting fails), with a small run section.</summary>
    private static (string Config, string Root) UnreachableBench(string? fromStore = null, bool screenshot = false)
    {
        var root = Directory.CreateTempSubdirectory("cimhil-run-").FullName;
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["chip"]!["driver"] = "cimhil-board";
            node["chip"]!["settings"] = new JsonObject { ["resource"] = "TCPIP0::127.0.0.1::1::SOCKET" };
            var baseDir = AppContext.BaseDirectory;
            var run = new JsonObject
            {
                ["outputRoot"] = root,
                ["model"] = Path.Combine(baseDir, "models", "lenet5-fmnist.safetensors"),
                ["seed"] = 3,
                ["monteCarlo"] = new JsonObject { ["chips"] = 4, ["images"] = 200, ["percentile"] = 10 },
                ["worstCase"] = new JsonObject { ["ks"] = new JsonArray(0, 1, 3), ["images"] = 100, ["method"] = "default" },
                ["calibration"] = new JsonObject { ["bootstrapSamples"] = 20 },
                ["screenshot"] = screenshot,
            };
            if (fromStore is not null)
            {
                run["fromStore"] = fromStore;
            }

            node["run"] = run;
            return node.ToJsonString();
        });
        return (config, root);
    }

    /// <summary>A program-and-verify TSV and a retention file imported through the CLI into one new store.</summary>
    private static async Task<(string Db, string Tsv, string Retention)> ImportedStoreAsync(string dir)
    {
        var tsv = ImportFiles.Write(dir, "pv.tsv", new GeneratedArray(seed: 21, unverifiedFraction: 0.05).HeaderlessTsvOhms());
        var retention = ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(seed: 22).Text);
        var db = Path.Combine(dir, "imported.db");
        var (code, output, error) = await CliHarness.RunAsync("import", tsv, "--map", ImportFiles.Write(dir, "pv.map.json", Mappings.HeaderlessTsvOhms), "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);
        (code, output, error) = await CliHarness.RunAsync("import", retention, "--map", ImportFiles.Write(dir, "bake.map.json", Mappings.Retention), "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);
        return (db, tsv, retention);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task RunFromStore_ImportedData_OpensNoBenchAndReportsCalibrationMonteCarloWorstCaseAndProvenance()
    {
        var dir = ImportFiles.TempDir();
        var (db, tsv, retention) = await ImportedStoreAsync(dir);
        var storeHash = Sha256(db);
        var (config, root) = UnreachableBench(screenshot: true);

        // The same bench without --from-store is tried and fails: it really is unreachable.
        var (code, _, error) = await CliHarness.RunAsync("run", "--json", "--config", UnreachableBench().Config);
        Assert.Equal(ExitCodes.InstrumentError, code);

        (code, var output, error) = await CliHarness.RunAsync("run", "--from-store", db, "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error + output);
        var results = CliHarness.Json(output);
        var folder = results.GetProperty("folder").GetString()!;
        Assert.StartsWith(root, folder, StringComparison.Ordinal);
        foreach (var file in new[] { "source-store.json", "calibration.json", "monte-carlo.json", "worst-case.json", "results.json", "report.html", "report.png", "run.log" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} missing in {folder}");
        }

        // Nothing was characterised and the store was only read: no store of its own, the source's bytes unchanged.
        Assert.False(File.Exists(Path.Combine(folder, RunPipeline.DatabaseFile)));
        Assert.Equal(storeHash, Sha256(db));
        Assert.Equal(["store", "calibrate", "model", "monte-carlo", "worst-case", "report"], results.GetProperty("stageSeconds").EnumerateObject().Select(p => p.Name).OrderBy(n => RunPipeline.FromStoreStageNames.IndexOf(n)));

        // Which store (path, SHA-256) and where its measurements came from (each import's file and hash).
        var source = results.GetProperty("source");
        Assert.Equal(Path.GetFullPath(db), source.GetProperty("path").GetString());
        Assert.Equal(storeHash, source.GetProperty("sha256").GetString());
        Assert.Equal("import", results.GetProperty("driver").GetString());
        Assert.Equal(results.GetProperty("measurements").GetInt64(), source.GetProperty("measurements").GetInt64());
        using (var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            Assert.Equal(store.Counts().Measurements, source.GetProperty("measurements").GetInt64());
        }

        var imports = source.GetProperty("imports").EnumerateArray().ToList();
        Assert.Equal(["ProgramVerify", "Retention"], imports.Select(i => i.GetProperty("kind").GetString()));
        Assert.Equal(Sha256(tsv), imports[0].GetProperty("files")[0].GetProperty("sha256").GetString());
        Assert.Equal(Sha256(retention), imports[1].GetProperty("files")[0].GetProperty("sha256").GetString());
        Assert.Equal(storeHash, CliHarness.Json(await File.ReadAllTextAsync(Path.Combine(folder, "source-store.json"))).GetProperty("sha256").GetString());

        // The calibration is the imported data's: four levels, and the bake's drift.
        var model = CimHil.Core.Devices.DeviceModelFile.Load(Path.Combine(folder, "calibration.json"));
        Assert.Equal(GeneratedArray.TargetsS.Length, model.Programming.Levels.Length);
        Assert.All(GeneratedArray.TargetsS.Zip(model.Programming.Levels), p => Assert.Equal(p.First, p.Second.TargetS, 1e-12));
        Assert.NotNull(model.Drift);
        Assert.Equal(4, results.GetProperty("monteCarlo").GetProperty("chipAccuracies").GetArrayLength());
        Assert.Equal([0.0, 1.0, 3.0], results.GetProperty("worstCase").GetProperty("points").EnumerateArray().Select(p => p.GetProperty("k").GetDouble()));

        // The report shows the store and the provenance of the import, and every plot renders with its data.
        var html = await File.ReadAllTextAsync(Path.Combine(folder, "report.html"));
        Assert.Contains(System.Net.WebUtility.HtmlEncode(Path.GetFullPath(db)), html, StringComparison.Ordinal);
        Assert.Contains(storeHash, html, StringComparison.Ordinal);
        Assert.Contains(Sha256(tsv), html, StringComparison.Ordinal);
        Assert.Contains(Sha256(retention), html, StringComparison.Ordinal);
        Assert.Contains("Measurements from a store: imported data", html, StringComparison.Ordinal);
        foreach (var plot in new[] { "conductance-map", "level-histograms", "sigma-vs-g", "drift", "mc-histogram", "worst-case" })
        {
            Assert.Contains($"data-plot=\"{plot}\"", html, StringComparison.Ordinal);
        }

        var check = results.GetProperty("reportCheck");
        Assert.Equal(0, check.GetProperty("consoleErrors").GetArrayLength());
        foreach (var plot in check.GetProperty("plots").EnumerateArray())
        {
            var id = plot.GetProperty("id").GetString();
            Assert.True(plot.GetProperty("visible").GetBoolean(), $"{id} not visible");
            Assert.True(plot.GetProperty("markCount").GetInt32() > 0, $"{id} drew no data");
        }
    }

    [Fact]
    public async Task RunFromStore_ConfigKey_RunsFromTheStoreAndAResumeRefusesAnotherStore()
    {
        var dir = ImportFiles.TempDir();
        var (db, _, _) = await ImportedStoreAsync(dir);
        var (config, _) = UnreachableBench(fromStore: db);
        var storeBefore = ImportFiles.StoreState(db);

        var (code, output, error) = await CliHarness.RunAsync("run", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error + output);

        // Its calibrate and report stages only read the store: no -wal or -shm beside it, its bytes as they were.
        Assert.Equal(storeBefore, ImportFiles.StoreState(db));
        var folder = CliHarness.Json(output).GetProperty("folder").GetString()!;
        Assert.Equal(Sha256(db), CliHarness.Json(output).GetProperty("source").GetProperty("sha256").GetString());

        // A resumed folder keeps its stages only for the store they came from.
        var other = Path.Combine(dir, "other.db");
        (code, _, error) = await CliHarness.RunAsync("import", ImportFiles.Write(dir, "other.csv", new GeneratedArray(seed: 23).CsvMicrosiemens()), "--map", ImportFiles.Write(dir, "csv.map.json", Mappings.CsvMicrosiemens), "--out", other);
        Assert.True(code == ExitCodes.Success, error);
        (code, _, error) = await CliHarness.RunAsync("run", "--json", "--resume", folder, "--from-store", other, "--config", config);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"this run folder was made from {Path.GetFullPath(db)} with SHA-256 {Sha256(db)}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunFromStore_MissingStore_NamesTheFileAndWhereItWasGiven()
    {
        var missing = Path.Combine(ImportFiles.TempDir(), "nosuch.db");
        var (config, root) = UnreachableBench();

        var (code, _, error) = await CliHarness.RunAsync("run", "--from-store", missing, "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{missing}: no such measurement store (given by --from-store", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(root));

        (config, _) = UnreachableBench(fromStore: missing);
        (code, _, error) = await CliHarness.RunAsync("run", "--config", config);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("(given by run.fromStore;", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunFromStore_StoreWithoutMeasurements_IsRefused()
    {
        var db = Path.Combine(ImportFiles.TempDir(), "empty.db");
        var plan = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "plans", "default-rram.json"));
        var provenance = new RunProvenance
        {
            Chip = new ChipIdentity("imported", "none", "0", "0", DeviceTechnology.Rram),
            Geometry = new ArrayGeometry(4, 4),
            VirtualClock = false,
            Driver = "import",
            SoftwareVersion = "test",
        };
        MeasurementStore.Create(db, "empty", plan, provenance, DateTimeOffset.UtcNow).Dispose();
        var (config, _) = UnreachableBench();

        var (code, _, error) = await CliHarness.RunAsync("run", "--from-store", db, "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{Path.GetFullPath(db)}: holds no measurements", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunFromStore_OnlyRetentionReads_SaysWhatCalibrationMisses()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "retention.db");
        var (code, _, error) = await CliHarness.RunAsync("import", ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(seed: 24).Text), "--map", ImportFiles.Write(dir, "bake.map.json", Mappings.Retention), "--out", db);
        Assert.True(code == ExitCodes.Success, error);
        var (config, _) = UnreachableBench();

        (code, _, error) = await CliHarness.RunAsync("run", "--from-store", db, "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no multilevel procedure; the programming-error model needs it", error, StringComparison.Ordinal);
        Assert.Contains($"The store holds {GeneratedRetention.Cells * GeneratedRetention.Points.Length * 2} drift records", error, StringComparison.Ordinal);
        Assert.Contains("a run needs at least a programVerify import", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelCalibratedFromImportedData_WorstCaseAndEvaluate_Work()
    {
        var dir = ImportFiles.TempDir();
        var (db, _, _) = await ImportedStoreAsync(dir);
        var modelPath = Path.Combine(dir, "model.json");
        var (code, output, error) = await CliHarness.RunAsync("calibrate", db, "--out", modelPath, "--bootstrap", "20");
        Assert.True(code == ExitCodes.Success, error + output);
        var network = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

        (code, output, error) = await CliHarness.RunAsync("worst-case", "--model", network, "--device-model", modelPath, "--k", "0,1,3", "--images", "50", "--mc-chips", "2", "--out", Path.Combine(dir, "wc"), "--json", "--config", CliHarness.ShippedConfig);

        Assert.True(code == ExitCodes.Success, error + output);
        var report = CliHarness.Json(output);
        var points = report.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("accuracy").GetDouble()).ToList();
        Assert.Equal(report.GetProperty("cleanAccuracy").GetDouble(), points[0], 12);
        Assert.True(points[1] <= points[0] && points[2] <= points[1], string.Join(", ", points));
        Assert.True(File.Exists(Path.Combine(dir, "wc", "worst-case-k1.safetensors")));

        // Drift calibrated from the imported bake is applied when a time is asked for.
        (code, output, error) = await CliHarness.RunAsync("evaluate", "--model", network, "--device-model", modelPath, "--chips", "2", "--images", "50", "--time", "86400", "--json", "--config", CliHarness.ShippedConfig);
        Assert.True(code == ExitCodes.Success, error + output);
        Assert.InRange(CliHarness.Json(output).GetProperty("mean").GetDouble(), 0.05, 1.0);
    }
}

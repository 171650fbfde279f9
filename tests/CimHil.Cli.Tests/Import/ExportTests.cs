using System.Globalization;
using CimHil.Characterization.Export;
using CimHil.Characterization.Import;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Cli.Tests.Import;

/// <summary>The export writes the documented schema; the HDF5 file is read back by h5py and xarray in a child python3.</summary>
public class ExportTests
{
    private const string ReadBack = """
        import sys, json, h5py, numpy as np, xarray as xr
        with h5py.File(sys.argv[1], "r") as f:
            out = {}
            for table in ("measurements", "units", "imports"):
                g = f[table]
                cols = [c.decode() if isinstance(c, bytes) else str(c) for c in g.attrs["columns"]]
                ds = xr.Dataset({c: ("record", g[c][()]) for c in cols})
                out[table] = {"columns": cols, "n": int(ds.sizes.get("record", 0))}
            m = xr.Dataset({c: ("record", f["measurements"][c][()]) for c in ("conductance_s", "target_s", "timestamp_utc", "source_line", "procedure")})
            text = lambda v: v.decode() if isinstance(v, bytes) else str(v)
            out["conductance_sum"] = float(m["conductance_s"].sum())
            out["first_timestamp"] = text(m["timestamp_utc"].values[0])
            out["first_procedure"] = text(m["procedure"].values[0])
            out["source_lines"] = [float(v) for v in m["source_line"].values[:3]]
            out["sha256"] = text(f["imports"]["sha256"][()][0])
        print(json.dumps(out))
        """;

    [Fact]
    public async Task Csv_WritesTheDocumentedColumnsAndIsoTimes()
    {
        var (dir, db) = await ImportedStoreAsync();
        var outDir = Path.Combine(dir, "csv");

        var (code, output, error) = await CliHarness.RunAsync("export", db, "--format", "csv", "--out", outDir);

        Assert.True(code == ExitCodes.Success, error + output);
        var lines = File.ReadAllLines(Path.Combine(outDir, "measurements.csv"));
        Assert.Equal(string.Join(",", ExportSchema.MeasurementColumns.Select(c => c.Name)), lines[0]);
        Assert.Equal(1 + (8 * GeneratedArray.Reads), lines.Length);
        var header = lines[0].Split(',').ToList();
        var first = lines[1].Split(',');
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var m = store.Measurements().First();
        Assert.Equal(m.ConductanceS!.Value, double.Parse(first[header.IndexOf("conductance_s")], CultureInfo.InvariantCulture));
        Assert.Equal("2026-01-02T03:04:05.0000000Z", first[header.IndexOf("timestamp_utc")]);
        Assert.Equal("pv.csv", first[header.IndexOf("source_file")]);
        Assert.Equal("2", first[header.IndexOf("source_line")]);
        Assert.Equal(string.Join(",", ExportSchema.UnitColumns.Select(c => c.Name)), File.ReadLines(Path.Combine(outDir, "units.csv")).First());
        Assert.Contains("imported_utc", File.ReadLines(Path.Combine(outDir, "imports.csv")).First());
    }

    [Fact]
    public async Task Hdf5_OpensWithH5pyAndXarray_WithTheSameColumnsAndValues()
    {
        var (dir, db) = await ImportedStoreAsync();
        var h5 = Path.Combine(dir, "store.h5");

        var (code, output, error) = await CliHarness.RunAsync("export", db, "--format", "hdf5", "--out", h5);
        Assert.True(code == ExitCodes.Success, error + output);
        var (pyCode, pyOut, pyErr) = await ImportFiles.PythonAsync(ReadBack, h5);

        Assert.True(pyCode == 0, pyErr);
        var json = CliHarness.Json(pyOut);
        Assert.Equal(ExportSchema.MeasurementColumns.Select(c => c.Name), json.GetProperty("measurements").GetProperty("columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(ExportSchema.UnitColumns.Select(c => c.Name), json.GetProperty("units").GetProperty("columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(8 * GeneratedArray.Reads, json.GetProperty("measurements").GetProperty("n").GetInt32());
        Assert.Equal(8, json.GetProperty("units").GetProperty("n").GetInt32());
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var expected = store.Measurements(ProcedureNames.Multilevel).Sum(m => m.ConductanceS!.Value);
        Assert.Equal(expected, json.GetProperty("conductance_sum").GetDouble(), expected * 1e-12);
        Assert.Equal("2026-01-02T03:04:05.0000000Z", json.GetProperty("first_timestamp").GetString());
        Assert.Equal("multilevel", json.GetProperty("first_procedure").GetString());
        Assert.Equal(Assert.Single(Assert.Single(store.Imports()).Files).Sha256, json.GetProperty("sha256").GetString());
        Assert.Equal(3, json.GetProperty("source_lines").GetArrayLength());
    }

    /// <summary>
    /// Issue #16, item 3: a store <c>characterize</c> wrote (forming, stuck map, four levels on an 8×8 emulated array) is
    /// exported as it stands, pulses and all, without a --resume --csv detour.
    /// </summary>
    [Fact]
    public async Task StoreACharacterizeWrote_ExportsEveryRecordWithItsPulseSettingsAndIsoTime()
    {
        var dir = ImportFiles.TempDir();
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject();
            node["emulator"]!["rows"] = 8;
            node["emulator"]!["columns"] = 8;
            return node.ToJsonString();
        });
        var db = Path.Combine(dir, "bench.db");
        var (code, _, error) = await CliHarness.RunAsync("characterize", "--plan", ImportFiles.Write(dir, "plan.json", CalibrationGapsTests.PlanJson), "--out", db, "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error);

        var outDir = Path.Combine(dir, "csv");
        (code, var output, error) = await CliHarness.RunAsync("export", db, "--format", "csv", "--out", outDir, "--config", config);

        Assert.True(code == ExitCodes.Success, error + output);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var stored = store.Measurements(includeUnfinished: true).ToList();
        var lines = File.ReadAllLines(Path.Combine(outDir, "measurements.csv"));
        var header = lines[0].Split(',').ToList();
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(stored.Count, rows.Count);
        int Col(string name) => header.IndexOf(name);

        // Every record in store order, with the key, the pulse settings and the time the store holds (ISO 8601 UTC).
        for (var i = 0; i < stored.Count; i++)
        {
            var m = stored[i];
            var r = rows[i];
            Assert.Equal((m.Key.Procedure, m.Key.Row, m.Key.Column, m.Key.Step, m.Key.Seq), (r[Col("procedure")], int.Parse(r[Col("row")], CultureInfo.InvariantCulture), int.Parse(r[Col("col")], CultureInfo.InvariantCulture), int.Parse(r[Col("step")], CultureInfo.InvariantCulture), int.Parse(r[Col("seq")], CultureInfo.InvariantCulture)));
            Assert.Equal(m.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture), r[Col("timestamp_utc")]);
            Assert.Equal(m.WidthSeconds?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty, r[Col("width_seconds")]);
            Assert.Equal(string.Empty, r[Col("source_file")]);
        }

        Assert.Equal(stored.Count(m => m.Kind == MeasurementKind.Pulse), rows.Count(r => r[Col("kind")] == "pulse"));
        Assert.Contains(rows, r => r[Col("kind")] == "pulse" && r[Col("polarity")] == "set");
        Assert.Contains(rows, r => r[Col("kind")] == "form");
        Assert.Equal(store.Units().Count, File.ReadAllLines(Path.Combine(outDir, "units.csv")).Length - 1);
        Assert.Single(File.ReadAllLines(Path.Combine(outDir, "imports.csv")));
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("hdf5")]
    public async Task Export_LeavesTheStoreAsOneFile_ThatOpensReadOnlyElsewhereWithAllRows(string format)
    {
        var (dir, db) = await ImportedStoreAsync();
        var before = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList();

        var (code, output, error) = await CliHarness.RunAsync("export", db, "--format", format, "--out", Path.Combine(dir, "out", "x." + format));

        // A read-only opening of a WAL store creates -wal and -shm and cannot remove them; export must not leave them.
        Assert.True(code == ExitCodes.Success, error + output);
        Assert.Equal(before, Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList());
        var elsewhere = Path.Combine(ImportFiles.TempDir(), "copy.db");
        File.Copy(db, elsewhere);
        using var store = MeasurementStore.Open(elsewhere, DateTimeOffset.UtcNow, readOnly: true);
        Assert.Equal(8 * GeneratedArray.Reads, store.Measurements(includeUnfinished: true).Count());
    }

    private static async Task<(string Dir, string Db)> ImportedStoreAsync()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "x.db");
        var data = ImportFiles.Write(dir, "pv.csv", new GeneratedArray(8, cells: 8).CsvMicrosiemens());
        var options = new ImportOptions { NowUtc = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) };
        await MeasurementImporter.ImportAsync([data], ImportMapping.Parse(Mappings.CsvMicrosiemens), db, options, CancellationToken.None);
        return (dir, db);
    }
}

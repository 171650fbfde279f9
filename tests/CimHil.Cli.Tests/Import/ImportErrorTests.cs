using CimHil.Characterization.Import;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Config;

namespace CimHil.Cli.Tests.Import;

/// <summary>Every way an import is refused names where, and none of them changes the store.</summary>
public class ImportErrorTests
{
    [Fact]
    public async Task MisspeltMappingKey_RefusedWithItsJsonPath()
    {
        var dir = ImportFiles.TempDir();
        var map = ImportFiles.Write(dir, "bad.json", Mappings.CsvMicrosiemens.Replace("\"repeat\"", "\"repaet\"", StringComparison.Ordinal));
        var data = ImportFiles.Write(dir, "pv.csv", new GeneratedArray(1, cells: 8).CsvMicrosiemens());

        var (code, _, error) = await CliHarness.RunAsync("import", data, "--map", map, "--out", Path.Combine(dir, "x.db"));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("fields.repaet", error);
        Assert.Contains("did you mean 'repeat'?", error);
        Assert.Contains("bad.json", error);
        Assert.False(File.Exists(Path.Combine(dir, "x.db")));
    }

    [Theory]
    [InlineData("\"unit\": \"uS\" }", "\"unit\": \"mho\" }", "fields.value.unit", "'mho' is not an allowed unit here; allowed: ohm, kohm, Mohm, S, mS, uS, µS, nS, A, mA, uA, µA, nA")]
    [InlineData("\"unit\": \"µS\" }", "\"unit\": \"V\" }", "fields.target.unit", "'V' is not an allowed unit here; allowed: ohm, kohm, Mohm, S, mS, uS, µS, nS")]
    [InlineData("\"kind\": \"programVerify\"", "\"kind\": \"bake\"", "kind", "'bake' is not one of")]
    [InlineData("\"row\": { \"column\": \"row\" },", "", "fields.row", "is required with the other of 'row' and 'column'")]
    public void WrongMapping_RefusedNamingThePathAndTheAllowedValues(string from, string to, string path, string problem)
    {
        var ex = Assert.ThrowsAny<ConfigException>(() => ImportMapping.Parse(Mappings.CsvMicrosiemens.Replace(from, to, StringComparison.Ordinal)));

        Assert.Equal(path, ex.JsonPath);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public async Task RowThatDoesNotParse_StopsTheImportWithFileLineAndColumn()
    {
        var dir = ImportFiles.TempDir();
        var lines = new GeneratedArray(2, cells: 8).CsvMicrosiemens().Split('\n').ToList();
        lines[4] = "12.5,3,30,oops,1";
        var data = ImportFiles.Write(dir, "pv.csv", string.Join('\n', lines));
        var db = Path.Combine(dir, "x.db");

        var ex = await Assert.ThrowsAsync<ImportException>(() => MeasurementImporter.ImportAsync([data], ImportMapping.Parse(Mappings.CsvMicrosiemens), db, new ImportOptions(), CancellationToken.None));

        Assert.Equal((data, 5, 4), (ex.File, ex.Line, ex.Column));
        Assert.Equal($"{data}:5:4: row (row): 'oops' is not a whole number", ex.Message);
        Assert.False(File.Exists(db));
    }

    /// <summary>Currents in µA at a read voltage in mV, a constant target.</summary>
    private const string CurrentMap = """
        {
          "kind": "programVerify",
          "fields": { "row": { "column": "row" }, "column": { "column": "col" }, "value": { "column": "I_uA", "unit": "uA" }, "readVoltage": { "column": "V_mV", "unit": "mV" } },
          "constants": { "targetS": 30e-6 }
        }
        """;

    [Fact]
    public async Task ReadVoltageInMillivolts_IsConvertedToVolts_AndTheConductanceIsCurrentOverVoltage()
    {
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "iv.csv", "row,col,I_uA,V_mV\n0,0,6,200\n0,1,3,100\n");
        var db = Path.Combine(dir, "x.db");

        await MeasurementImporter.ImportAsync([data], ImportMapping.Parse(CurrentMap), db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var reads = store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final).ToList();
        Assert.Equal([0.2, 0.1], reads.Select(m => Math.Round(m.VoltageV!.Value, 12)));
        Assert.Equal([30e-6, 30e-6], reads.Select(m => Math.Round(m.ConductanceS!.Value, 12)));
        Assert.Equal(0.15, System.Text.Json.Nodes.JsonNode.Parse(store.Run.PlanJson)!["readVoltageV"]!.GetValue<double>(), 12);
    }

    [Fact]
    public async Task TimestampsAsSmallNumbers_AreSecondsSinceTheEpoch_NotMonthAndDay()
    {
        const string map = """
            {
              "kind": "programVerify",
              "fields": { "row": { "column": "row" }, "column": { "column": "col" }, "value": { "column": "G_uS", "unit": "uS" }, "timestamp": { "column": "t" } },
              "constants": { "readVoltageV": 0.2, "targetS": 30e-6 }
            }
            """;
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "t.csv", "row,col,G_uS,t\n0,0,30,1.5\n0,1,30,12.5\n0,2,30,2026-03-04T05:06:07Z\n");
        var db = Path.Combine(dir, "x.db");

        await MeasurementImporter.ImportAsync([data], ImportMapping.Parse(map), db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var times = store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final).OrderBy(m => m.Key.Column).Select(m => m.Timestamp.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["1970-01-01T00:00:01.5000000Z", "1970-01-01T00:00:12.5000000Z", "2026-03-04T05:06:07.0000000Z"], times);
    }

    [Theory]
    [InlineData("0,1,6,0", "4: readVoltage (V_mV): '0': a read voltage must be greater than 0")]
    [InlineData("0,1,6,-50", "4: readVoltage (V_mV): '-50': a read voltage must be greater than 0")]
    [InlineData("99999999999,1,6,200", "1: row (row): '99999999999' is out of range (at most 2147483647)")]
    [InlineData("0,3e12,6,200", "2: column (col): '3e12' is out of range (at most 2147483647)")]
    public async Task RowWithAValueOutOfRange_StopsTheImportWithFileLineAndColumn_OrIsSkippedAndListed(string line, string columnAndProblem)
    {
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "iv.csv", $"row,col,I_uA,V_mV\n0,0,6,200\n{line}\n");
        var db = Path.Combine(dir, "x.db");

        var ex = await Assert.ThrowsAsync<ImportException>(() => MeasurementImporter.ImportAsync([data], ImportMapping.Parse(CurrentMap), db, new ImportOptions(), CancellationToken.None));

        Assert.Equal($"{data}:3:{columnAndProblem}", ex.Message);
        Assert.False(File.Exists(db));
        var summary = await MeasurementImporter.ImportAsync([data], ImportMapping.Parse(CurrentMap), db, new ImportOptions { SkipBadRows = true }, CancellationToken.None);
        Assert.Equal([ex.Message], summary.SkippedRows);
        Assert.Equal(1, summary.Records);
    }

    [Fact]
    public async Task SkipBadRows_CountsAndListsEverySkippedRow()
    {
        var dir = ImportFiles.TempDir();
        var lines = new GeneratedArray(3, cells: 8).CsvMicrosiemens().Split('\n').ToList();
        lines[2] = "abc,0,10,0,1";
        lines[7] = "11,0,10";
        var data = ImportFiles.Write(dir, "pv.csv", string.Join('\n', lines));
        var map = ImportFiles.Write(dir, "map.json", Mappings.CsvMicrosiemens);

        var (code, output, error) = await CliHarness.RunAsync("import", data, "--map", map, "--out", Path.Combine(dir, "x.db"), "--skip-bad-rows", "--json");

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        var skipped = json.GetProperty("skippedRows").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal([$"{data}:3:1: value (G_uS): 'abc' is not a number", $"{data}:8:4: the line has 3 fields; 'row' (row) is field 4"], skipped);
        Assert.Equal(2, json.GetProperty("files")[0].GetProperty("skippedRows").GetInt32());
        Assert.Equal((8 * GeneratedArray.Reads) - 2, json.GetProperty("records").GetInt32());
    }

    [Theory]
    [InlineData("\"/array/target\"", "\"/array/nope\"", "dataset '/array/nope' is not in the file")]
    [InlineData("\"/array/phase\"", "\"/array\"", "dataset '/array' cannot be read as a 1-D column")]
    public async Task Hdf5DatasetMissingOrNotAColumn_RefusedNamingIt(string from, string to, string problem)
    {
        var dir = ImportFiles.TempDir();
        var h5 = ImportFiles.Hdf5(dir, new GeneratedArray(9, cells: 8));
        var map = ImportMapping.Parse(Mappings.Hdf5.Replace(from, to, StringComparison.Ordinal));

        var ex = await Assert.ThrowsAsync<ImportException>(() => MeasurementImporter.ImportAsync([h5], map, Path.Combine(dir, "x.db"), new ImportOptions(), CancellationToken.None));

        Assert.StartsWith($"{h5}: {problem}", ex.Message);
        Assert.False(File.Exists(Path.Combine(dir, "x.db")));
    }

    [Fact]
    public async Task HeaderWithoutTheMappedColumn_RefusedListingTheColumns()
    {
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "pv.csv", new GeneratedArray(10, cells: 8).CsvMicrosiemens().Replace("target_uS", "tgt", StringComparison.Ordinal));

        var ex = await Assert.ThrowsAsync<ImportException>(() => MeasurementImporter.ImportAsync([data], ImportMapping.Parse(Mappings.CsvMicrosiemens), Path.Combine(dir, "x.db"), new ImportOptions(), CancellationToken.None));

        Assert.Equal($"{data}: fields.target: column 'target_uS' is not in the file; columns: G_uS, col, tgt, row, read", ex.Message);
    }

    [Fact]
    public async Task MissingFile_RefusedAndNoStoreIsMade()
    {
        var dir = ImportFiles.TempDir();
        var map = ImportFiles.Write(dir, "map.json", Mappings.CsvMicrosiemens);
        var missing = Path.Combine(dir, "nope.csv");

        var (code, _, error) = await CliHarness.RunAsync("import", missing, "--map", map, "--out", Path.Combine(dir, "x.db"));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{missing}: file not found; nothing was imported", error);
        Assert.False(File.Exists(Path.Combine(dir, "x.db")));
    }

    [Fact]
    public async Task ImportCancelledInsideItsTransaction_LeavesTheExistingStoreAsItWas()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "x.db");
        await MeasurementImporter.ImportAsync([ImportFiles.Write(dir, "pv.csv", new GeneratedArray(4, cells: 40).CsvMicrosiemens())], ImportMapping.Parse(Mappings.CsvMicrosiemensOn32x32), db, new ImportOptions(), CancellationToken.None);
        var before = Snapshot(db);

        // The records are already inserted when the provenance rows report progress: cancelling there rolls everything back.
        using var cts = new CancellationTokenSource();
        var progress = new CancelOnReport(cts);
        var retention = ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(5).Text);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MeasurementImporter.ImportAsync([retention], ImportMapping.Parse(Mappings.Retention), db, new ImportOptions { Progress = progress }, cts.Token));

        Assert.True(progress.Reports > 0);
        Assert.Equal(before, Snapshot(db));
    }

    [Fact]
    public async Task NewStoreWhoseImportFails_IsRemoved()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "x.db");
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MeasurementImporter.ImportAsync([ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(6).Text)], ImportMapping.Parse(Mappings.Retention), db, new ImportOptions { Progress = new CancelOnReport(cts) }, cts.Token));

        Assert.Empty(Directory.GetFiles(dir, "x.db*"));
    }

    [Fact]
    public async Task SameProcedureImportedTwice_RefusedAndTheStoreKept()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "x.db");
        var data = ImportFiles.Write(dir, "pv.csv", new GeneratedArray(7, cells: 8).CsvMicrosiemens());
        await MeasurementImporter.ImportAsync([data], ImportMapping.Parse(Mappings.CsvMicrosiemens), db, new ImportOptions(), CancellationToken.None);
        var before = Snapshot(db);

        var ex = await Assert.ThrowsAsync<MeasurementStoreException>(() => MeasurementImporter.ImportAsync([data], ImportMapping.Parse(Mappings.CsvMicrosiemens), db, new ImportOptions(), CancellationToken.None));

        Assert.Contains("already holds multilevel records", ex.Message);
        Assert.Equal(before, Snapshot(db));
    }

    /// <summary>What an import could change: the records, units, procedures, plan and imports.</summary>
    private static string Snapshot(string db)
    {
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var measurements = string.Join("|", store.Measurements(includeUnfinished: true).Select(m => $"{m.Key}:{m.ConductanceS:R}"));
        var units = string.Join("|", store.Units().Select(u => $"{u.Key}:{u.Outcome}:{u.ValueS:R}"));
        return $"{store.Counts()}#{measurements}#{units}#{string.Join(",", store.Procedures())}#{store.Run.PlanHash}#{store.Imports().Count}#{store.ImportAnnotations().Count}#{store.ProcedureParameters(ProcedureNames.Drift)}";
    }

    private sealed class CancelOnReport(CancellationTokenSource cts) : IProgress<long>
    {
        public int Reports { get; private set; }

        public void Report(long value)
        {
            Reports++;
            cts.Cancel();
        }
    }
}

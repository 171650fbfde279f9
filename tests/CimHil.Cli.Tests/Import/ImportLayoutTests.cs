using CimHil.Characterization.Import;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Cli.Tests.Import;

/// <summary>Event order, steps and sequence numbers for the kinds the calibration tests do not cover.</summary>
public class ImportLayoutTests
{
    [Fact]
    public async Task ReadNoise_WhitespaceFileOutOfOrder_IsOrderedByItsTimestamps()
    {
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "noise.txt", """
            # r c  I(A)     time
            0 1  2.0e-6   2026-03-01T10:00:02Z
            0 1  1.0e-6   2026-03-01T10:00:01Z
              0   1   3.0e-6   1772359203
            """);
        var map = ImportMapping.Parse("""
            {
              "kind": "readNoise",
              "format": { "type": "delimited", "delimiter": "whitespace", "header": false },
              "fields": { "row": { "column": 0 }, "column": { "column": 1 }, "value": { "column": 2, "unit": "A" }, "timestamp": { "column": 3 } },
              "constants": { "readVoltageV": 0.1, "targetS": 20e-6 }
            }
            """);
        var db = Path.Combine(dir, "x.db");

        await MeasurementImporter.ImportAsync([data], map, db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var reads = store.Measurements(ProcedureNames.ReadNoise, MeasurementRoles.Noise).ToList();
        Assert.Equal([0, 1, 2], reads.Select(m => m.Key.Seq));
        Assert.Equal([10e-6, 20e-6, 30e-6], reads.Select(m => Math.Round(m.ConductanceS!.Value, 12)));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 0, 3, TimeSpan.Zero), reads[2].Timestamp);
        Assert.All(reads, m => Assert.Equal(20e-6, m.TargetS));
        Assert.Contains("\"reads\": 3", store.Run.PlanJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoFilesInOneImport_AreOneProcedure_InTheOrderGiven_EachWithItsHashAndRows()
    {
        // One log split in two: the first file holds the first two reads of every cell, the second the last two.
        var dir = ImportFiles.TempDir();
        var array = new GeneratedArray(seed: 17, cells: 8);
        var lines = array.HeaderlessTsvOhms().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        var first = ImportFiles.Write(dir, "a.tsv", string.Join('\n', lines.Where((_, i) => i % GeneratedArray.Reads < 2)));
        var second = ImportFiles.Write(dir, "b.tsv", string.Join('\n', lines.Where((_, i) => i % GeneratedArray.Reads >= 2)));
        var db = Path.Combine(dir, "x.db");

        var (code, output, error) = await CliHarness.RunAsync("import", second, first, "--map", ImportFiles.Write(dir, "map.json", Mappings.HeaderlessTsvOhms), "--out", db, "--json");

        Assert.True(code == ExitCodes.Success, error + output);
        var files = CliHarness.Json(output).GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(["b.tsv", "a.tsv"], files.Select(f => f.GetProperty("name").GetString()));
        Assert.Equal([16, 16], files.Select(f => f.GetProperty("rows").GetInt32()));
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var import = Assert.Single(store.Imports());
        Assert.Equal(new[] { second, first }.Select(f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))), import.Files.Select(f => f.Sha256));

        // Events are in file order, files in the order given: each cell's reads 0 and 1 come from b.tsv (given first).
        var notes = store.ImportAnnotations();
        var reads = store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final).ToList();
        Assert.Equal(8 * GeneratedArray.Reads, reads.Count);
        Assert.All(reads, m => Assert.Equal(m.Key.Seq < 2 ? "b.tsv" : "a.tsv", notes[m.Key].SourceFile));
        var cell = array.Cells[0];
        Assert.Equal([cell.ReadsS[2], cell.ReadsS[3], cell.ReadsS[0], cell.ReadsS[1]], reads.Where(m => m.Key.Row == cell.Row && m.Key.Column == cell.Column).OrderBy(m => m.Key.Seq).Select(m => m.ConductanceS!.Value), new ToleranceComparer(1e-15));
        Assert.Equal(8, store.Units(ProcedureNames.Multilevel).Count);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public async Task Cycling_SequenceColumnOrdersTheEvents_CycleIsTheStep()
    {
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "cycles.csv", """
            seq,cell,cycle,R_kohm,state
            3,5,1,10,lrs
            1,5,0,10,lrs
            2,5,0,100,hrs
            4,5,1,100,hrs
            """);
        var map = ImportMapping.Parse("""
            {
              "kind": "cycling",
              "geometry": { "rows": 4, "columns": 4 },
              "fields": { "sequence": { "column": "seq" }, "cell": { "column": "cell" }, "cycle": { "column": "cycle" }, "value": { "column": "R_kohm", "unit": "kohm" }, "phase": { "column": "state" } },
              "constants": { "temperatureK": 300 }
            }
            """);
        var db = Path.Combine(dir, "x.db");

        await MeasurementImporter.ImportAsync([data], map, db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var reads = store.Measurements("cycling").ToList();
        var notes = store.ImportAnnotations();
        Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1)], reads.Select(m => (m.Key.Step, m.Key.Seq)));
        Assert.Equal(["lrs", "hrs", "lrs", "hrs"], reads.Select(m => notes[m.Key].Phase));
        Assert.Equal([3, 4, 2, 5], reads.Select(m => notes[m.Key].SourceLine));
        Assert.All(reads, m => Assert.Equal((1, 1), (m.Key.Row, m.Key.Column)));
        Assert.Equal([1e-4, 1e-5, 1e-4, 1e-5], reads.Select(m => Math.Round(m.ConductanceS!.Value, 12)));
    }
}

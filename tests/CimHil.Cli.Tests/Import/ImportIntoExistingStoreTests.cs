using CimHil.Characterization.Import;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Cli.Tests.Import;

/// <summary>
/// An import into an existing store must describe the same array (rows × columns, technology): a mismatch is refused,
/// naming the store, the file and both arrays, before the store is opened for writing (not even a session row is added).
/// </summary>
public class ImportIntoExistingStoreTests
{
    /// <summary>A 32 × 32 store: the headerless TSV layout declares its geometry.</summary>
    private static async Task<(string Dir, string Db)> StoreOf32x32Async()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "x.db");
        var tsv = ImportFiles.Write(dir, "pv.tsv", new GeneratedArray(31, cells: 64).HeaderlessTsvOhms());
        await MeasurementImporter.ImportAsync([tsv], ImportMapping.Parse(Mappings.HeaderlessTsvOhms), db, new ImportOptions(), CancellationToken.None);
        return (dir, db);
    }

    private static string Retention(int rows, int columns, string technology = "") =>
        Mappings.Retention.Replace("\"rows\": 32, \"columns\": 32", $"\"rows\": {rows}, \"columns\": {columns}", StringComparison.Ordinal)
            .Replace("\"kind\": \"retention\",", $"\"kind\": \"retention\",{technology}", StringComparison.Ordinal);

    [Fact]
    public async Task DeclaredGeometryOtherThanTheStores_RefusedNamingStoreFileAndBothArrays_AndTheStoreIsUntouched()
    {
        var (dir, db) = await StoreOf32x32Async();
        var bake = ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(32).Text);

        var ex = await RefusedAsync(db, bake, Retention(64, 16));

        Assert.Equal(bake, ex.File);
        Assert.Equal($"{bake}: describes a 64x16 array, but the store {db} holds a 32x32 array (rram); nothing was imported", ex.Message);
    }

    [Fact]
    public async Task CellsBeyondTheStoresArray_RefusedNamingTheCellAndBothArrays()
    {
        var (dir, db) = await StoreOf32x32Async();
        var csv = ImportFiles.Write(dir, "far.csv", "row,col,G_uS,target_uS,read\n0,0,10,10,0\n40,3,30,30,0\n");

        var ex = await RefusedAsync(db, csv, Mappings.CsvMicrosiemens);

        Assert.Equal((csv, 3), (ex.File, ex.Line));
        Assert.Equal($"{csv}:3: cell (40, 3) lies outside the store {db}, which holds a 32x32 array (rram); the file's cells span 41x4; nothing was imported", ex.Message);
    }

    [Fact]
    public async Task StatedTechnologyOtherThanTheStores_Refused()
    {
        var (dir, db) = await StoreOf32x32Async();
        var bake = ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(33).Text);

        var ex = await RefusedAsync(db, bake, Retention(32, 32, " \"technology\": \"pcm\","));

        Assert.Equal($"{bake}: describes a 32x32 array (pcm), but the store {db} holds a 32x32 array (rram); nothing was imported", ex.Message);
    }

    [Fact]
    public async Task SameArray_IsAdded()
    {
        var (dir, db) = await StoreOf32x32Async();
        var bake = ImportFiles.Write(dir, "bake.txt", new GeneratedRetention(34).Text);

        var summary = await MeasurementImporter.ImportAsync([bake], ImportMapping.Parse(Retention(32, 32, " \"technology\": \"rram\",")), db, new ImportOptions(), CancellationToken.None);

        Assert.False(summary.CreatedStore);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        Assert.Equal(2, store.Imports().Count);
    }

    [Fact]
    public async Task QuotedCsvFields_KeepTheirCommasAndEscapedQuotes_WithOrWithoutASpaceBeforeTheQuote()
    {
        const string map = """
            {
              "kind": "programVerify",
              "format": { "type": "delimited", "delimiter": "comma", "header": true },
              "fields": { "row": { "column": "row" }, "column": { "column": "col" }, "value": { "column": "G uS, final", "unit": "uS" }, "phase": { "column": "phase" } },
              "constants": { "readVoltageV": 0.2, "targetS": 30e-6 }
            }
            """;
        var dir = ImportFiles.Write(ImportFiles.TempDir(), "q.csv", "row,col,\"G uS, final\",phase\n0,0,29.5,\"pre-bake, \"\"lot A\"\"\"\n0,1,30.5, \"post-bake, lot B\"\n");
        var db = Path.Combine(Path.GetDirectoryName(dir)!, "q.db");

        await MeasurementImporter.ImportAsync([dir], ImportMapping.Parse(map), db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var notes = store.ImportAnnotations();
        var reads = store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final).OrderBy(m => m.Key.Column).ToList();
        Assert.Equal([29.5e-6, 30.5e-6], reads.Select(m => Math.Round(m.ConductanceS!.Value, 12)));
        Assert.Equal(["pre-bake, \"lot A\"", "post-bake, lot B"], reads.Select(m => notes[m.Key].Phase));
    }

    /// <summary>Imports <paramref name="file"/> with <paramref name="map"/>, expects the refusal, and that the store is untouched.</summary>
    private static async Task<ImportException> RefusedAsync(string db, string file, string map)
    {
        var before = Fingerprint(db);
        var ex = await Assert.ThrowsAsync<ImportException>(() => MeasurementImporter.ImportAsync([file], ImportMapping.Parse(map), db, new ImportOptions(), CancellationToken.None));
        Assert.Equal(before, Fingerprint(db));
        return ex;
    }

    /// <summary>
    /// What "untouched" means: the same files beside the store (no -wal/-shm left by the check), the same sessions (the
    /// check adds none), records, plan and imports.
    /// </summary>
    private static string Fingerprint(string db)
    {
        var files = string.Join(",", Directory.GetFiles(Path.GetDirectoryName(db)!, Path.GetFileName(db) + "*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        return files + "#" + MeasurementStore.Read(db, DateTimeOffset.UtcNow, s => $"{s.Run.Sessions}#{s.Counts()}#{s.Run.PlanHash}#{s.Imports().Count}#{string.Join(",", s.Procedures())}");
    }
}

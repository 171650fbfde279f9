using CimHil.Cli.Tests.Import;

namespace CimHil.Cli.Tests.Calibration;

/// <summary>
/// <c>cimhil calibrate</c> only reads its store: a researcher's read-only copy, or a store on a read-only share, is left as
/// it was (no -wal or -shm beside it, the same bytes), model and report written elsewhere.
/// </summary>
public class CalibrateReadOnlyStoreTests
{
    [Fact]
    public async Task Calibrate_ImportedStoreInWalMode_LeavesNoLogFilesAndTheSameBytes()
    {
        var dir = ImportFiles.TempDir();
        var db = Path.Combine(dir, "pv.db");
        var data = ImportFiles.Write(dir, "pv.tsv", new GeneratedArray(seed: 43, unverifiedFraction: 0.05).HeaderlessTsvOhms());
        var (code, output, error) = await CliHarness.RunAsync("import", data, "--map", ImportFiles.Write(dir, "pv.map.json", Mappings.HeaderlessTsvOhms), "--out", db);
        Assert.True(code == ExitCodes.Success, error + output);
        Assert.Equal(2, File.ReadAllBytes(db)[18]); // WAL mode (https://www.sqlite.org/fileformat.html §1.3.3): the case that left -wal/-shm
        var before = ImportFiles.StoreState(db);

        var modelPath = Path.Combine(dir, "cal", "lab.json");
        (code, output, error) = await CliHarness.RunAsync("calibrate", db, "--out", modelPath, "--bootstrap", "10");

        Assert.True(code == ExitCodes.Success, error + output);
        Assert.True(File.Exists(modelPath) && File.Exists(Path.Combine(dir, "cal", "lab.report.html")), output);
        Assert.Equal(before, ImportFiles.StoreState(db));
    }
}

using System.Security.Cryptography;
using CimHil.Characterization.Store;

namespace CimHil.Characterization.Tests;

/// <summary>
/// A read-only opening writes nothing: no -wal or -shm beside a store in WAL mode (a read-only copy or a store on a
/// read-only share must stay as it is), the file's bytes unchanged; and a store that a live writer holds (its log beside
/// it) is still read with every commit that is only in the log.
/// </summary>
public sealed class MeasurementStoreReadOnlyTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A store with three committed units, closed: its header says WAL and no log file is beside it.</summary>
    private static string ClosedWalStore(string folder = "store")
    {
        var path = Path.Combine(TestPlans.TempDir(), folder, "run.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        MeasurementStoreTests.StoreWithUnits(path, 3).Dispose();
        Assert.Equal(2, File.ReadAllBytes(path)[18]); // file format write version 2 = WAL (https://www.sqlite.org/fileformat.html §1.3.3)
        Assert.Equal(["run.db", "run.db.commits"], FilesBeside(path));
        return path;
    }

    private static List<string> FilesBeside(string path) =>
        [.. Directory.GetFiles(Path.GetDirectoryName(path)!).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Theory]
    [InlineData("store")]
    [InlineData("a b#1?x=%20 ü")] // characters a file: URI must escape
    public void OpenReadOnly_StoreInWalMode_CreatesNoLogFiles_AndLeavesTheBytesAsTheyWere(string folder)
    {
        var path = ClosedWalStore(folder);
        var before = Sha256(path);

        using (var store = MeasurementStore.Open(path, T0, readOnly: true))
        {
            Assert.Equal(3, store.Units().Count);
            Assert.Equal(12, store.Measurements().Count());
            Assert.Equal(["run.db", "run.db.commits"], FilesBeside(path));
        }

        Assert.Equal(["run.db", "run.db.commits"], FilesBeside(path));
        Assert.Equal(before, Sha256(path));
    }

    [Fact]
    public void Read_StoreInWalMode_LeavesTheBytesAsTheyWere()
    {
        var path = ClosedWalStore();
        var before = Sha256(path);

        var units = MeasurementStore.Read(path, T0, store => store.Units().Count);

        Assert.Equal(3, units);
        Assert.Equal(["run.db", "run.db.commits"], FilesBeside(path));
        Assert.Equal(before, Sha256(path));
    }

    [Fact]
    public void OpenReadOnly_WhileAWriterHoldsTheStore_ReadsTheCommitsThatAreOnlyInTheLog()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var writer = MeasurementStoreTests.StoreWithUnits(path, 5);
        Assert.True(new FileInfo(path + "-wal").Length > 0);

        using var reader = MeasurementStore.Open(path, T0, readOnly: true);

        Assert.Equal(5, reader.Units().Count);
        Assert.Equal(20, reader.Measurements().Count());
    }
}

using System.Text;
using CimHil.Core.IO;

namespace CimHil.Core.Tests.IO;

public class AtomicFileTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("cimhil-atomic-").FullName;

    [Fact]
    public async Task WriteAsync_WriterThrowsMidway_OldFileIntactAndNoTemporaryLeft()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "monte-carlo.json");
        await File.WriteAllTextAsync(path, "{\"old\":true}");

        var ex = await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("{\"new\":"), ct);
            throw new IOException("disk gone half-way");
        }, CancellationToken.None));

        Assert.Equal("disk gone half-way", ex.Message);
        Assert.Equal("{\"old\":true}", await File.ReadAllTextAsync(path));
        Assert.Equal(["monte-carlo.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task WriteAsync_Cancelled_OldFileIntact()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "worst-case.json");
        await File.WriteAllTextAsync(path, "old");
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[1000], ct);
            await cts.CancelAsync();
        }, cts.Token));

        Assert.Equal("old", await File.ReadAllTextAsync(path));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public async Task WriteAllBytesAsync_ReplacesTheFileWithExactlyTheNewBytes()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "sub", "model.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, new byte[5000]);

        await AtomicFile.WriteAllBytesAsync(path, new byte[] { 1, 2, 3 }, CancellationToken.None);

        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void WriteAllText_CreatesDirectoriesAndWritesUtf8WithoutBom()
    {
        var path = Path.Combine(TempDir(), "a", "b", "calibration.json");

        AtomicFile.WriteAllText(path, "σ=1");

        Assert.Equal([0xCF, 0x83, (byte)'=', (byte)'1'], File.ReadAllBytes(path));
    }

    [Fact]
    public void CreateText_DisposedWithoutCommit_OldFileIntact()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "measurements.csv");
        File.WriteAllText(path, "a,b\n1,2\n");

        Assert.Throws<InvalidOperationException>(Export);

        void Export()
        {
            using var w = AtomicFile.CreateText(path);
            w.WriteLine("a,b");
            w.WriteLine("3,");
            throw new InvalidOperationException("store closed mid-export");
        }

        Assert.Equal("a,b\n1,2\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void CreateText_Committed_ReplacesTheFileOnDispose()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "units.csv");
        File.WriteAllText(path, "old");

        using (var w = AtomicFile.CreateText(path))
        {
            w.Write("new");
            w.Commit();
            Assert.Equal("old", File.ReadAllText(path));
        }

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }
}

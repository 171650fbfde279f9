using System.IO.Compression;
using CimHil.Simulation.Data;
using CimHil.Simulation.Models;
using CimHil.Simulation.Training;

namespace CimHil.Simulation.Tests.Engine;

public class DataTests
{
    private static byte[] Idx(byte type, int[] dims, byte[] values)
    {
        var b = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (var d in dims)
        {
            b.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        }

        b.AddRange(values);
        return [.. b];
    }

    [Fact]
    public void Parse_ValidImageArray_ReturnsBigEndianDimensionsAndValues()
    {
        var a = IdxReader.Parse(Idx(0x08, [2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]), "t");
        Assert.Equal([2, 2, 3], a.Dimensions);
        Assert.Equal(255, a.Values[^1]);
    }

    [Fact]
    public void Parse_WrongElementType_ThrowsNamingFileAndType()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.Parse(Idx(0x0D, [1], [0, 0, 0, 0]), "/data/x.idx"));
        Assert.Contains("/data/x.idx", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x0D", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Truncated_ThrowsWithCounts()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => IdxReader.Parse(Idx(0x08, [3, 2], [1, 2, 3]), "f"));
        Assert.Contains("declares 6 values but the file holds 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadSplitAsync_GzippedFilesInTempDirectory_ScalesPixelsAndReadsLabels()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-idx-").FullName;
        try
        {
            await WriteGz(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Idx(0x08, [2, 2, 2], [0, 255, 51, 102, 0, 0, 0, 255]));
            await WriteGz(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), Idx(0x08, [2], [9, 3]));
            var ds = await FashionMnist.LoadSplitAsync(dir, "t10k");
            Assert.Equal(2, ds.Count);
            Assert.Equal([1, 2, 2], ds.SampleShape);
            var (x, y) = ds.Batch([1, 0]);
            Assert.Equal([3, 9], y);
            Assert.Equal(1f, x.Data[3]);
            Assert.Equal(0.2f, x.Data[6], 6);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task LoadAsync_MissingDirectory_NamesPathAndVariable()
    {
        var ex = await Assert.ThrowsAsync<DatasetFormatException>(() => FashionMnist.LoadAsync("/nonexistent/fmnist"));
        Assert.Contains("/nonexistent/fmnist", ex.Message, StringComparison.Ordinal);
        Assert.Contains(FashionMnist.DirectoryVariable, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadSplitAsync_CorruptGzip_ThrowsNamingFile()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-idx-").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, "train-images-idx3-ubyte.gz"), [1, 2, 3, 4, 5]);
            await File.WriteAllBytesAsync(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), [1, 2, 3, 4, 5]);
            var ex = await Assert.ThrowsAsync<DatasetFormatException>(() => FashionMnist.LoadSplitAsync(dir, "train"));
            Assert.Contains("train-images-idx3-ubyte.gz", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task FashionMnist_DebianPackage_HasSixtyAndTenThousandSamples()
    {
        // The dataset is a machine dependency (Debian dataset-fashion-mnist); without it this check has nothing to read.
        if (!Directory.Exists(FashionMnist.ResolveDirectory(null)))
        {
            return;
        }

        var (train, test) = await FashionMnist.LoadAsync();
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        Assert.Equal([1, 28, 28], train.SampleShape);
    }

    [Fact]
    public async Task CommittedLeNet5Checkpoint_ReachesAtLeast89PercentOnFashionMnistTest()
    {
        if (!Directory.Exists(FashionMnist.ResolveDirectory(null)))
        {
            return;
        }

        var test = await FashionMnist.LoadSplitAsync(FashionMnist.ResolveDirectory(null), "t10k");
        var net = await Checkpoint.LoadAsync(TestUtil.FixturePath("lenet5-fmnist.safetensors"));
        Assert.True(Evaluator.Accuracy(net, test) >= 0.89);
    }

    private static async Task WriteGz(string path, byte[] content)
    {
        await using var f = File.Create(path);
        await using var gz = new GZipStream(f, CompressionLevel.Fastest);
        await gz.WriteAsync(content);
    }
}

using System.Text;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;

namespace CimHil.Simulation.Tests.Engine;

public class SafetensorsTests
{
    [Fact]
    public async Task Serialize_OfFileWrittenByPython_ReproducesItByteForByte()
    {
        // tools/fixtures/safetensors_min.py lays files out like the reference serializer (dtype-alignment then name order,
        // compact JSON, space padding); our writer must produce the identical bytes from the parsed content.
        foreach (var name in new[] { "lenet5.safetensors", "tinynet.safetensors" })
        {
            var path = TestUtil.FixturePath(name);
            var original = await File.ReadAllBytesAsync(path);
            var parsed = Safetensors.Deserialize(original, path);
            Assert.Equal(original, Safetensors.Serialize(parsed.Tensors, parsed.Metadata));
        }
    }

    [Fact]
    public void Serialize_KnownTensors_ProducesSpecLayout()
    {
        var bytes = Safetensors.Serialize(
            new Dictionary<string, SafetensorsEntry>
            {
                ["b"] = SafetensorsEntry.FromFloats([1f, 2f], [2]),
                ["a.count"] = SafetensorsEntry.FromInt64([7], []),
            },
            new Dictionary<string, string> { ["architecture"] = "x" });
        var headerLength = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength).TrimEnd(' ');

        // I64 sorts before F32 (8-byte alignment first); offsets are relative to the data section.
        Assert.Equal("""{"__metadata__":{"architecture":"x"},"a.count":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", header);
        Assert.Equal(8 + (int)headerLength + 16, bytes.Length);
        Assert.Equal(7L, BitConverter.ToInt64(bytes, 8 + (int)headerLength));
        Assert.Equal(2f, BitConverter.ToSingle(bytes, 8 + (int)headerLength + 12));
    }

    [Fact]
    public void Deserialize_TruncatedData_ThrowsNamingTensorAndSource()
    {
        var bytes = Safetensors.Serialize(new Dictionary<string, SafetensorsEntry> { ["w"] = SafetensorsEntry.FromFloats([1f, 2f, 3f], [3]) });
        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Deserialize(bytes.AsSpan(0, bytes.Length - 4), "model.safetensors"));
        Assert.Contains("model.safetensors", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'w'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_HeaderLongerThanFile_Throws()
    {
        var bytes = new byte[16];
        BitConverter.GetBytes(1000UL).CopyTo(bytes, 0);
        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Deserialize(bytes, "x.safetensors"));
        Assert.Contains("header length 1000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_TensorNamedTwiceInTheHeader_IsRefusedNamingBothEntries()
    {
        // Before, the second entry silently replaced the first; both point into the same 8-byte data section here.
        var header = Encoding.UTF8.GetBytes("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""");
        var bytes = new byte[8 + header.Length + 8];
        BitConverter.GetBytes((ulong)header.Length).CopyTo(bytes, 0);
        header.CopyTo(bytes, 8);

        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Deserialize(bytes, "m.safetensors"));

        Assert.Equal("m.safetensors: not a valid safetensors file: header: w: duplicate key (an object, then an object).", ex.Message);
    }

    [Fact]
    public async Task ReadAsync_MissingFile_NamesPath()
    {
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => Safetensors.ReadAsync("/nonexistent/m.safetensors", CancellationToken.None));
        Assert.Contains("/nonexistent/m.safetensors", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ModelZoo.LeNet5)]
    [InlineData(ModelZoo.VggSmall)]
    [InlineData(ModelZoo.ResNetSmall)]
    public async Task Checkpoint_SaveThenLoad_GivesIdenticalLogits(string architecture)
    {
        var net = ModelZoo.Create(architecture, seed: 3);
        var bn = net.Modules.Select(m => m.Module).OfType<CimHil.Simulation.Nn.BatchNorm2d>().FirstOrDefault();
        if (bn is not null)
        {
            // Non-default running statistics so a lost buffer would show.
            bn.RunningMean.Data[0] = 0.25f;
            bn.RunningVar.Data[0] = 2f;
            bn.BatchesTracked = 42;
        }

        var path = Path.Combine(Path.GetTempPath(), $"cimhil-{Guid.NewGuid():N}.safetensors");
        try
        {
            await Checkpoint.SaveAsync(net, path);
            var loaded = await Checkpoint.LoadAsync(path);
            Assert.Equal(architecture, loaded.Architecture);
            var x = TestUtil.RandomTensor(new Random(1), 2, 1, 28, 28);
            Assert.Equal(net.Forward(x).Data, loaded.Forward(x).Data);
            if (bn is not null)
            {
                var lbn = loaded.Modules.Select(m => m.Module).OfType<CimHil.Simulation.Nn.BatchNorm2d>().First();
                Assert.Equal(42, lbn.BatchesTracked);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Checkpoint_LoadIntoOtherArchitecture_ThrowsNamingTensor()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cimhil-{Guid.NewGuid():N}.safetensors");
        try
        {
            await Checkpoint.SaveAsync(ModelZoo.CreateLeNet5(1), path);
            var ex = await Assert.ThrowsAsync<CheckpointMismatchException>(() => Checkpoint.LoadAsync(path, ModelZoo.VggSmall));
            Assert.Contains("conv1.weight", ex.Message, StringComparison.Ordinal);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task CommittedLeNet5Checkpoint_LoadsAndClassifiesFashionMnist()
    {
        // models/lenet5-fmnist.safetensors is the trainer's output (see docs/engine.md); its metadata records the accuracy.
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "lenet5-fmnist.safetensors");
        var net = await Checkpoint.LoadAsync(path);
        Assert.Equal(ModelZoo.LeNet5, net.Architecture);
        Assert.Equal(61706, net.ParameterCount);
        var file = await Safetensors.ReadAsync(path, CancellationToken.None);
        Assert.True(double.Parse(file.Metadata["test_accuracy"], System.Globalization.CultureInfo.InvariantCulture) >= 0.89);
    }
}

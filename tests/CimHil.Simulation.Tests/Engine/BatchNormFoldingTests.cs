using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Tests.Engine;

public class BatchNormFoldingTests
{
    [Fact]
    public async Task FoldInPlace_ResidualNetWithTrainedStatistics_KeepsInferenceLogits()
    {
        // The fixture's BatchNorm layers have random γ, β, running mean and variance, so folding is non-trivial.
        var path = TestUtil.FixturePath("tinynet.safetensors");
        var file = await Safetensors.ReadAsync(path, CancellationToken.None);
        var net = PyTorchFixtureTests.TinyNet();
        Checkpoint.LoadState(net, file, path);
        var x = TestUtil.RandomTensor(new Random(4), 3, 2, 8, 8);
        var before = net.Forward(x).Data;
        var weightedBefore = net.WeightedLayers.Count;

        var folded = BatchNormFolding.FoldInPlace(net);

        Assert.Equal(0, BatchNormFolding.BatchNormCount(folded));
        Assert.Equal(weightedBefore, folded.WeightedLayers.Count);
        Assert.All(folded.WeightedLayers, l => Assert.NotNull(l.Bias));
        Assert.Equal("tinynet-folded", folded.Architecture);
        TestUtil.AssertClose(before, folded.Forward(x).Data, 1e-5, 1e-5, "folded logits");
    }

    [Fact]
    public void FoldInPlace_ResNetSmall_RemovesEveryBatchNorm()
    {
        var net = ModelZoo.CreateResNetSmall(seed: 2);
        Assert.Equal(9, BatchNormFolding.BatchNormCount(net));
        var x = TestUtil.RandomTensor(new Random(5), 2, 1, 28, 28);
        var before = net.Forward(x).Data;
        var folded = BatchNormFolding.FoldInPlace(net);
        Assert.Equal(0, BatchNormFolding.BatchNormCount(folded));
        TestUtil.AssertClose(before, folded.Forward(x).Data, 1e-5, 1e-5, "folded resnet logits");
    }
}

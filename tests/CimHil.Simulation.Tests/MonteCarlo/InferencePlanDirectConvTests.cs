using CimHil.Simulation.Engine;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Tests.Cim;

public class InferencePlanDirectConvTests
{
    /// <summary>
    /// Stride-1 convolutions with output rows ≥ 8 run as direct convolutions: this net exercises 16-lane steps with a tail
    /// (rows of 18 outputs) and partial ones (rows of 14), partial 6-channel blocks (8 = 6 + 2, 5, 7 = 6 + 1, 4 output channels),
    /// several input channels, zero and non-zero padding (reading the slack behind the activation buffers), and 7 images in
    /// chunks of 3 (3 + 3 + 1), 7 and 64.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void Run_DirectConvolutionEdgeShapes_MatchTheEngineLogits(int chunk)
    {
        var rng = new Random(11);
        var body = new Sequential(
            ("conv1", new Conv2d(3, 8, 3, rng)),
            ("relu1", new Relu()),
            ("conv2", new Conv2d(8, 5, 3, rng, padding: 1)),
            ("relu2", new Relu()),
            ("conv3", new Conv2d(5, 7, 5, rng)),
            ("conv4", new Conv2d(7, 4, 3, rng, padding: 1)),
            ("flatten", new Flatten()),
            ("fc", new Linear(4 * 16 * 14, 10, rng)));
        var net = new Network("direct-conv-test", body, [3, 22, 20], 10);

        AssertPlanMatchesEngine(net, images: 7, chunk, seed: 5);
    }

    /// <summary>
    /// Layers with 16·j output channels run vectorised over channels (<c>DirectConvByChannel</c>): one and two 16-channel
    /// blocks, rows of 11 (two 5-pixel blocks and a 1-pixel tail), padding, and a following 4-channel layer on the row kernel.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Run_ChannelVectorisedConvolution_MatchesTheEngineLogits(int chunk)
    {
        var rng = new Random(12);
        var body = new Sequential(
            ("conv1", new Conv2d(3, 16, 3, rng)),
            ("relu1", new Relu()),
            ("conv2", new Conv2d(16, 32, 3, rng, padding: 1)),
            ("relu2", new Relu()),
            ("conv3", new Conv2d(32, 4, 3, rng)),
            ("flatten", new Flatten()),
            ("fc", new Linear(4 * 10 * 9, 10, rng)));
        var net = new Network("channel-conv-test", body, [3, 14, 13], 10);

        AssertPlanMatchesEngine(net, images: 5, chunk, seed: 6);
    }

    /// <summary>Runs random images through the compiled plan in chunks and compares every logit with the engine's forward pass.</summary>
    private static void AssertPlanMatchesEngine(Network net, int images, int chunk, int seed)
    {
        var plan = InferencePlan.TryCompile(net, chunkSize: chunk);
        Assert.NotNull(plan);
        int c = net.InputShape[0], h = net.InputShape[1], w = net.InputShape[2];
        var rngX = new Random(seed);
        var x = Tensor.Zeros(images, c, h, w);
        for (var i = 0; i < x.Length; i++)
        {
            x.Data[i] = (float)(rngX.NextDouble() - 0.5);
        }

        Tensor expected;
        using (Tensor.NoGrad())
        {
            expected = net.Forward(x);
        }

        var ws = plan.CreateWorkspace();
        plan.PrepareWeights(ws, net.WeightedLayers.Select(l => l.Weight.Data).ToArray());
        var per = c * h * w;
        var classes = net.ClassCount;
        for (var start = 0; start < images; start += chunk)
        {
            var count = Math.Min(chunk, images - start);
            var logits = plan.Run(ws, x.Data.AsSpan(start * per, count * per), count).ToArray();
            Assert.Equal(count * classes, logits.Length);
            for (var i = 0; i < logits.Length; i++)
            {
                var e = expected.Data[(start * classes) + i];
                Assert.Equal(e, logits[i], 1e-4f * (1 + Math.Abs(e)));
            }
        }

        Assert.Equal(images, plan.CountCorrect(ws, x, net.Predict(x)));
    }
}

using CimHil.Simulation.Cuda;
using CimHil.Simulation.Cuda.Graph;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;
using CimHil.Simulation.Tests.Cim;
using static CimHil.Simulation.Tests.Onnx.OnnxFixtures;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// The CPU side of the GPU graph forward (docs/gpu.md, "Imported graphs"): lowering, BatchNorm/ReLU fusion, buffer reuse and
/// refusals. The plan is run by <see cref="GraphPlanInterpreter"/> with GraphForward's layout and buffers and must give the
/// logits of Network.Forward; the kernels themselves are checked on the GPU machine by <c>cimhil gpu check</c>.
/// </summary>
public class GraphPlanTests
{
    private static MappedNetwork Map(Network network) => MappedNetwork.Map(network, new CimMappingOptions { BitsPerDevice = 6 }, CimTestModels.Window);

    private static async Task<Network> Fixture(string name, bool fold = false) =>
        (await OnnxImporter.LoadAsync(PathOf(name), new OnnxImportOptions { FoldBatchNorm = fold })).Network;

    [Fact]
    public async Task Build_ResidualFixture_FusesEachBatchNormAndReluIntoItsProducer_AndTheStemsPoolIntoItsConvolution()
    {
        var plan = GraphPlan.Build(Map(await Fixture("residual-cnn")));

        Assert.Equal(
            [GraphOpKind.Conv, GraphOpKind.Conv, GraphOpKind.Conv, GraphOpKind.Add, GraphOpKind.Conv, GraphOpKind.Conv, GraphOpKind.Conv, GraphOpKind.Add, GraphOpKind.GlobalAvgPool, GraphOpKind.Linear],
            plan.Ops.Select(o => o.Kind).ToArray());
        Assert.Equal(6, plan.Ops.Count(o => o.Kind == GraphOpKind.Conv && o.Affine is not null));
        Assert.All(plan.Ops.Where(o => o.Kind == GraphOpKind.Add), o => Assert.True(o.Relu));
        Assert.Equal([true, true, false, true, true, false, false, true], plan.Ops.Where(o => o.Kind is GraphOpKind.Conv or GraphOpKind.Add).Select(o => o.Relu).ToArray());
        Assert.Equal(2, plan.Ops[0].Pool); // bn1's γ are all positive: max-pooling the raw sums first gives the same floats
        Assert.Equal(new GraphValue(16, 14, 14), plan.Values[plan.Ops[0].Output]);
        Assert.False(plan.BroadcastInput);
        Assert.Equal(new GraphValue(10, 1, 1), plan.Values[plan.Output]);
    }

    [Fact]
    public async Task Build_ResidualFixture_ReusesBuffersAndNeverWritesOverALiveValue()
    {
        var plan = GraphPlan.Build(Map(await Fixture("residual-cnn")));

        // 12 values live in 4 buffers: the block input, its two convolutions' outputs and the projection at most at once.
        Assert.True(plan.BufferSizes.Count <= 4, plan.Describe());
        for (var i = 0; i < plan.Ops.Count; i++)
        {
            var written = plan.BufferOf[plan.Ops[i].Output];
            var liveLater = plan.Ops.Skip(i + 1).SelectMany(o => o.Inputs).Where(v => v != plan.Ops[i].Output && plan.Ops.Take(i + 1).Any(p => p.Output == v));
            Assert.DoesNotContain(written, liveLater.Select(v => plan.BufferOf[v]));
        }
    }

    [Theory]
    [InlineData("residual-cnn", false)]
    [InlineData("residual-cnn", true)]
    [InlineData("lenet5", false)]
    [InlineData("depthwise-separable", false)]
    [InlineData("depthwise-separable", true)]
    [InlineData("mlp", false)]
    [InlineData("concat-width", false)]
    public async Task Plan_RunWithTheGpuLayout_GivesTheLogitsOfNetworkForward(string fixture, bool fold)
    {
        var network = await Fixture(fixture, fold);
        var mapped = Map(network);
        var (x, _) = TestData();
        var images = Tensor.FromArray(x.Data.AsSpan(0, 24 * 784), [24, 1, 28, 28]);

        AssertLogitsOfNetworkForward(GraphPlan.Build(mapped), images, 3);
    }

    [Fact]
    public void Plan_BuiltInResNetWithTrainedBatchNormStatistics_GivesTheLogitsOfNetworkForward()
    {
        var network = ModelZoo.Create(ModelZoo.ResNetSmall, 7);
        var rng = new Random(8);
        foreach (var bn in network.Modules.Select(m => m.Module).OfType<BatchNorm2d>())
        {
            for (var c = 0; c < bn.Channels; c++)
            {
                bn.Gamma.Data[c] = 0.5f + (float)rng.NextDouble();
                bn.Beta.Data[c] = (float)rng.NextDouble() - 0.5f;
                bn.RunningMean.Data[c] = (float)rng.NextDouble() - 0.5f;
                bn.RunningVar.Data[c] = 0.2f + (float)rng.NextDouble();
            }
        }

        var mapped = Map(network);
        var plan = GraphPlan.Build(mapped);

        Assert.Contains(plan.Ops, o => o.Kind == GraphOpKind.Add && o.Relu);
        Assert.Contains(plan.Ops, o => o.Kind == GraphOpKind.Conv && o.Affine is not null);
        AssertLogitsOfNetworkForward(plan, CimTestModels.RandomInput(9, 6, 1, 28, 28), 10);
    }

    [Theory]
    [InlineData(1f, 2)]
    [InlineData(-1f, 1)]
    public void Build_ConvBatchNormReluMaxPool_FusesThePoolOnlyWhenEveryGammaIsNonNegative(float lastGamma, int pool)
    {
        var rng = new Random(11);
        var bn = new BatchNorm2d(4);
        bn.Gamma.Data[3] = lastGamma;
        bn.RunningMean.Data[1] = 0.3f;
        var body = new Sequential(("conv", new Conv2d(1, 4, 3, rng, padding: 1)), ("bn", bn), ("relu", new Relu()), ("pool", new MaxPool2d(2)), ("flat", new Flatten()), ("fc", new Linear(64, 10, rng)));
        var network = new Network("test", body, [1, 8, 8], 10);
        var plan = GraphPlan.Build(Map(network));

        Assert.Equal(pool, plan.Ops[0].Pool);
        Assert.Equal(pool == 2 ? 0 : 1, plan.Ops.Count(o => o.Kind == GraphOpKind.MaxPool));
        AssertLogitsOfNetworkForward(plan, CimTestModels.RandomInput(12, 5, 1, 8, 8), 13);
    }

    [Fact]
    public async Task Build_DepthwiseFixture_RunsReluSixAsClipMapsAndTheTransposeAsAGather()
    {
        var plan = GraphPlan.Build(Map(await Fixture("depthwise-separable")));

        Assert.Equal(3, plan.Ops.Count(o => o is { Kind: GraphOpKind.Map, Map: { Function: MapFunction.Clip, A: 0f, B: 6f } }));
        var gather = Assert.Single(plan.Ops, o => o.Kind == GraphOpKind.Gather);
        // [24, 7, 7] → [7, 7, 24] (NHWC): output element (y, x, c) holds input element (c, y, x).
        Assert.Equal(new GraphValue(7, 7, 24), plan.Values[gather.Output]);
        Assert.Equal((5 * 49) + (2 * 7) + 3, gather.Sources![(((2 * 7) + 3) * 24) + 5]);
        Assert.Contains(plan.Ops, o => o.Kind == GraphOpKind.Concat);
    }

    [Fact]
    public async Task Build_MlpFixture_RunsEveryConstantArithmeticAndActivationAsAMap()
    {
        var plan = GraphPlan.Build(Map(await Fixture("mlp")));

        Assert.Equal(
            [MapFunction.Subtract, MapFunction.Divide, MapFunction.LeakyRelu, MapFunction.Add, MapFunction.Tanh, MapFunction.Sigmoid, MapFunction.Multiply],
            plan.Ops.Where(o => o.Kind == GraphOpKind.Map).Select(o => o.Map!.Function).ToArray());
        Assert.Equal(0.1f, plan.Ops.Single(o => o.Map?.Function == MapFunction.LeakyRelu).Map!.A);
        Assert.All(plan.Ops.Single(o => o.Map?.Function == MapFunction.Subtract).Map!.Constant!, c => Assert.Equal(0.2860f, c));
        Assert.Equal(64, plan.Ops.Single(o => o.Map?.Function == MapFunction.Add).Map!.Constant!.Length);
    }

    [Fact]
    public void Plan_PadTransposeChannelConstantsAndTensorArithmetic_GivesTheLogitsOfNetworkForward()
    {
        var rng = new Random(21);
        var conv = new Conv2d(2, 3, 3, rng, padding: 1);
        var fc = new Linear(3 * 7 * 6, 10, rng);
        float[] perChannel = [0.5f, -2f, 3f];
        var steps = new List<OnnxStep>
        {
            new("pad", new ZeroPad(new ConvolutionGeometry { PadTop = 1, PadLeft = 0, PadBottom = 2, PadRight = 1 }), ["x"], "p", "node 'pad' (Pad)"),
            new("conv", conv, ["p"], "c", "node 'conv' (Conv)"),
            new("scale", new ConstantArithmetic(ElementwiseOp.Multiply, perChannel, [3, 1, 1], false), ["c"], "s", "node 'scale' (Mul)"),
            new("inv", new ConstantArithmetic(ElementwiseOp.Divide, [1.5f], [], true), ["s"], "i", "node 'inv' (Div)"),
            new("sig", Activation.Sigmoid(), ["c"], "g", "node 'sig' (Sigmoid)"),
            new("tanh", Activation.Tanh(), ["s"], "t", "node 'tanh' (Tanh)"),
            new("leaky", Activation.LeakyRelu(0.2f), ["i"], "l", "node 'leaky' (LeakyRelu)"),
            new("sub", new TensorSum(ElementwiseOp.Subtract), ["g", "t"], "d", "node 'sub' (Sub)"),
            new("mul", new TensorSum(ElementwiseOp.Multiply), ["d", "l"], "m", "node 'mul' (Mul)"),
            new("clip", Activation.Clip(-0.25f, 0.75f), ["m"], "k", "node 'clip' (Clip)"),
            new("nhwc", ShapeNode.Transpose([0, 2, 3, 1]), ["k"], "h", "node 'nhwc' (Transpose)"),
            new("flat", ShapeNode.Reshape([-1, 3 * 7 * 6]), ["h"], "f", "node 'flat' (Reshape)"),
            new("fc", fc, ["f"], "y", "node 'fc' (Gemm)"),
        };
        var network = new Network("test", new OnnxGraph("x", "y", steps), [2, 4, 5], 10);
        var plan = GraphPlan.Build(Map(network));

        Assert.Equal(2, plan.Ops.Count(o => o.Kind == GraphOpKind.Gather)); // the padding and the transpose; the reshape flattens
        Assert.Equal([ElementwiseOp.Subtract, ElementwiseOp.Multiply], plan.Ops.Where(o => o.Kind == GraphOpKind.Add).Select(o => o.Arithmetic).ToArray());
        AssertLogitsOfNetworkForward(plan, CimTestModels.RandomInput(22, 5, 2, 4, 5), 23);
    }

    [Fact]
    public void ElementwiseMapOf_PerChannelConstant_BroadcastsOverEachPlaneAndAScalarOverAll()
    {
        var perChannel = ElementwiseMap.Of(new ConstantArithmetic(ElementwiseOp.Subtract, [1f, 2f], [2, 1, 1], true), [2, 1, 3]);
        var perFeature = ElementwiseMap.Of(new ConstantArithmetic(ElementwiseOp.Add, [1f, 2f, 3f], [1, 3], false), [3]);

        Assert.Equal(MapFunction.SubtractFrom, perChannel.Function);
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], perChannel.Constant!);
        Assert.Equal([1f, 2f, 3f], perFeature.Constant!);
    }

    [Fact]
    public void Unsupported_ConstantThatDoesNotBroadcast_NamesTheNodeAndTheAxis()
    {
        var steps = new List<OnnxStep>
        {
            new("flat", new Flatten(), ["x"], "f", "node 'flat' (Flatten)"),
            new("add", new ConstantArithmetic(ElementwiseOp.Add, [1f, 2f], [2, 1], false), ["f"], "a", "node 'add' (Add)"),
            new("fc", new Linear(8, 10, new Random(1)), ["a"], "y", "node 'fc' (Gemm)"),
        };
        var why = GraphPlan.Unsupported(Map(new Network("test", new OnnxGraph("x", "y", steps), [2, 2, 2], 10)));

        Assert.Equal("node 'add' (Add): A constant of shape [2, 1] does not broadcast to [1, 8] (axis 0: 2 vs 1).", why);
    }

    [Fact]
    public async Task Build_ConcatWidthFixture_ScattersEachInputWhereTheCpusConcatPutsIt()
    {
        var mapped = Map(await Fixture("concat-width"));
        var plan = GraphPlan.Build(mapped);

        Assert.Null(GraphPlan.Unsupported(mapped));
        var scatter = Assert.Single(plan.Ops, o => o.Kind == GraphOpKind.Scatter);
        Assert.Equal("node '/Concat' (Concat)", scatter.Where);
        var inputs = scatter.Inputs.Select(v => plan.Values[v]).ToArray();
        var output = plan.Values[scatter.Output];

        // Width concatenation of [C, H, Wa] and [C, H, Wb]: element (c, h, w) of input b lands at (c, h, Wa + w).
        Assert.Equal(inputs.Sum(v => v.PerImage), scatter.Destinations!.Length);
        Assert.Equal(output.PerImage, inputs.Sum(v => v.PerImage));
        Assert.All(inputs, v => Assert.Equal(output.C, v.C));
        Assert.Equal(inputs.Sum(v => v.W), output.W);
        int wa = inputs[0].W, wb = inputs[1].W, h = output.H;
        var (c1, h1, w1) = (1, h - 1, wb - 1);
        Assert.Equal((((c1 * h) + h1) * output.W) + wa + w1, scatter.Destinations[(int)inputs[0].PerImage + (((c1 * h) + h1) * wb) + w1]);
        Assert.Equal(scatter.Destinations.Length, scatter.Destinations.Distinct().Count());
    }

    [Fact]
    public void Unsupported_ConcatOfDifferentShapesOnTheGpu_NamesTheNode()
    {
        var steps = new List<OnnxStep>
        {
            new("flat", new Flatten(), ["x"], "f", "node 'flat' (Flatten)"),
            new("cat", new ConcatNode(0), ["f", "f"], "c", "node 'cat' (Concat)"),
            new("fc", new Linear(16, 10, new Random(1)), ["c"], "y", "node 'fc' (Gemm)"),
        };
        var why = GraphPlan.Unsupported(Map(new Network("test", new OnnxGraph("x", "y", steps), [2, 2, 2], 10)));

        Assert.NotNull(why);
        Assert.StartsWith("node 'cat' (Concat): Concat(axis 0) does not run on the GPU yet (", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CudaMonteCarloUnsupported_ResidualFixture_IsNullWithoutConverters()
    {
        var mapped = Map(await Fixture("residual-cnn"));

        Assert.Null(InferencePlan.TryCompile(mapped.Network));
        Assert.Null(CudaMonteCarlo.Unsupported(mapped));
    }

    // The plan run with the GPU's layout and buffers gives Network.Forward's logits for the same (perturbed) chip weights.
    private static void AssertLogitsOfNetworkForward(GraphPlan plan, Tensor images, int seed)
    {
        var mapped = plan.Mapped;
        var weights = PerturbedWeights(mapped, seed);
        var expected = mapped.Network.Forward(images, mapped.WeightContext(weights)).Data;
        var actual = GraphPlanInterpreter.Logits(plan, images, weights);
        Assert.True(MaxRelativeError(actual, expected) < 1e-4, $"max relative error {MaxRelativeError(actual, expected)}");
    }

    private static float[][] PerturbedWeights(MappedNetwork mapped, int seed)
    {
        var rng = new Random(seed);
        return mapped.Layers.Select(l => l.Layer.Weight.Data.Select(w => w * (1f + (0.1f * (float)(rng.NextDouble() - 0.5)))).ToArray()).ToArray();
    }
}

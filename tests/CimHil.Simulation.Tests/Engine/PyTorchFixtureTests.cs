using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Tests.Engine;

/// <summary>
/// Compares forward outputs, losses and gradients with PyTorch 1.13 on fixtures made by tools/fixtures/make_fixtures.py.
/// Tolerance 1e-4 (absolute, plus 1e-4 relative for gradients whose magnitude exceeds 1).
/// </summary>
public class PyTorchFixtureTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Backends() => TestUtil.Backends();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task LeNet5_ForwardLossAndGradients_MatchPyTorch(GemmBackend backend)
    {
        using var _ = Gemm.Use(backend);
        var path = TestUtil.FixturePath("lenet5.safetensors");
        var file = await Safetensors.ReadAsync(path, CancellationToken.None);
        var net = ModelZoo.CreateLeNet5(seed: 0);
        Checkpoint.LoadState(net, file, path);

        var (logits, loss, x) = RunAndBackward(net, file, ForwardContext.Inference);

        TestUtil.AssertClose(file.Tensors["logits"].ToFloats(), logits.Data, Tolerance, 0, "logits");
        Assert.Equal(file.Tensors["loss"].ToFloats()[0], loss.Item(), Tolerance);
        TestUtil.AssertClose(file.Tensors["grad.x"].ToFloats(), x.Grad, Tolerance, Tolerance, "grad.x");
        foreach (var (name, p) in net.NamedParameters())
        {
            TestUtil.AssertClose(file.Tensors["grad." + name].ToFloats(), p.Grad, Tolerance, Tolerance, "grad." + name);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TinyResidualNet_EvalAndTrainModes_MatchPyTorch(GemmBackend backend)
    {
        using var _ = Gemm.Use(backend);
        var path = TestUtil.FixturePath("tinynet.safetensors");
        var file = await Safetensors.ReadAsync(path, CancellationToken.None);
        var net = TinyNet();
        Checkpoint.LoadState(net, file, path);

        foreach (var (prefix, ctx) in new[] { ("eval.", ForwardContext.Inference), ("train.", ForwardContext.Train) })
        {
            net.ZeroGrad();
            var (logits, loss, x) = RunAndBackward(net, file, ctx);
            TestUtil.AssertClose(file.Tensors[prefix + "logits"].ToFloats(), logits.Data, Tolerance, 0, prefix + "logits");
            Assert.Equal(file.Tensors[prefix + "loss"].ToFloats()[0], loss.Item(), Tolerance);
            TestUtil.AssertClose(file.Tensors[prefix + "grad.x"].ToFloats(), x.Grad, Tolerance, Tolerance, prefix + "grad.x");
            foreach (var (name, p) in net.NamedParameters())
            {
                TestUtil.AssertClose(file.Tensors[prefix + "grad." + name].ToFloats(), p.Grad, Tolerance, Tolerance, prefix + "grad." + name);
            }
        }

        // The training pass updated the running statistics exactly as PyTorch did (momentum 0.1, unbiased variance).
        foreach (var (name, t) in net.NamedBuffers())
        {
            TestUtil.AssertClose(file.Tensors["after." + name].ToFloats(), t.Data, 1e-5, 1e-5, "after." + name);
        }
    }

    /// <summary>The architecture of TinyNet in make_fixtures.py, with the same state_dict keys.</summary>
    internal static Network TinyNet()
    {
        var rng = new Random(0);
        var block = new ResidualBlock(
            new Sequential(
                ("conv1", new Conv2d(4, 6, 3, rng, stride: 2, padding: 1, bias: false)),
                ("bn1", new BatchNorm2d(6)),
                ("relu1", new Relu()),
                ("conv2", new Conv2d(6, 6, 3, rng, padding: 1, bias: false)),
                ("bn2", new BatchNorm2d(6))),
            new Sequential(("0", new Conv2d(4, 6, 1, rng, stride: 2, bias: false)), ("1", new BatchNorm2d(6))));
        var body = new Sequential(
            ("conv1", new Conv2d(2, 4, 3, rng, padding: 1)),
            ("bn1", new BatchNorm2d(4)),
            ("relu1", new Relu()),
            ("block", block),
            ("pool", new MaxPool2d(2)),
            ("gap", new AvgPool2d(2)),
            ("flatten", new Flatten()),
            ("fc", new Linear(6, 5, rng)));
        return new Network("tinynet", body, [2, 8, 8], 5);
    }

    private static (Tensor Logits, Tensor Loss, Tensor X) RunAndBackward(Network net, SafetensorsFile file, ForwardContext ctx)
    {
        var xe = file.Tensors["x"];
        var x = Tensor.Parameter(xe.ToFloats(), xe.Shape);
        var labels = file.Tensors["labels"].ToInt64().Select(v => (int)v).ToArray();
        var logits = net.Forward(x, ctx);
        var loss = Ops.SoftmaxCrossEntropy(logits, labels);
        loss.Backward();
        return (logits, loss, x);
    }
}

using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Tests.Engine;

/// <summary>
/// Analytic gradients against central finite differences of the probe loss L = Σ f(inputs)·R (R fixed random), with L
/// accumulated in double. Step 1e-2 on float32 gives a truncation error O(h²) and a rounding error ≈ 2⁻²⁴·|L|/h, both well
/// under the 1e-2 relative tolerance (plus a small absolute floor for near-zero derivatives).
/// </summary>
public class GradientCheckTests
{
    private const float Step = 1e-2f;
    private const double RelativeTolerance = 1e-2;
    private const double AbsoluteTolerance = 2e-3;

    [Fact]
    public void Linear_GradientsOfInputWeightAndBias_MatchFiniteDifferences()
    {
        var rng = new Random(11);
        Check(t => Ops.Linear(t[0], t[1], t[2]), rng, [4, 7], [5, 7], [5]);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void Conv2d_GradientsOfInputWeightAndBias_MatchFiniteDifferences(int stride, int padding)
    {
        var rng = new Random(12 + stride + padding);
        Check(t => Ops.Conv2d(t[0], t[1], t[2], stride, padding), rng, [2, 3, 7, 6], [4, 3, 3, 3], [4]);
    }

    [Fact]
    public void Relu_Gradient_MatchesFiniteDifferences()
    {
        // Inputs kept away from the kink at 0 by more than the step.
        var rng = new Random(13);
        var x = TestUtil.RandomTensor(rng, 3, 20);
        for (var i = 0; i < x.Length; i++)
        {
            x.Data[i] += x.Data[i] >= 0 ? 0.05f : -0.05f;
        }

        Check(t => Ops.Relu(t[0]), rng, [x]);
    }

    [Fact]
    public void MaxPool2d_Gradient_MatchesFiniteDifferences()
    {
        // Distinct values spaced 0.1 apart (shuffled) so no window has a near tie within the step.
        var rng = new Random(14);
        var values = Enumerable.Range(0, 2 * 2 * 6 * 6).Select(i => i * 0.1f).ToArray();
        rng.Shuffle(values);
        Check(t => Ops.MaxPool2d(t[0], 2), rng, [new Tensor(values, 2, 2, 6, 6)]);
    }

    [Fact]
    public void AvgPool2d_Gradient_MatchesFiniteDifferences()
    {
        var rng = new Random(15);
        Check(t => Ops.AvgPool2d(t[0], 2), rng, [2, 3, 6, 4]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm2d_GradientsOfInputGammaBeta_MatchFiniteDifferences(bool training)
    {
        var rng = new Random(16);
        var gamma = TestUtil.RandomTensor(rng, 3);
        var beta = TestUtil.RandomTensor(rng, 3);
        var mean = TestUtil.RandomArray(rng, 3);
        var variance = TestUtil.RandomArray(rng, 3).Select(v => 1.5f + v).ToArray();

        // Fresh running-stat copies per call: training mode updates them in place.
        Check(t => Ops.BatchNorm2d(t[0], t[1], t[2], (float[])mean.Clone(), (float[])variance.Clone(), training), rng, [TestUtil.RandomTensor(rng, 4, 3, 3, 2), gamma, beta]);
    }

    [Fact]
    public void ResidualAddAndFlatten_Gradients_MatchFiniteDifferences()
    {
        var rng = new Random(17);
        Check(t => Ops.Flatten(Ops.Add(Ops.Multiply(t[0], t[1]), Ops.Scale(t[1], 0.5f))), rng, [2, 3, 2, 2], [2, 3, 2, 2]);
    }

    [Fact]
    public void SoftmaxCrossEntropy_Gradient_MatchesFiniteDifferences()
    {
        var rng = new Random(18);
        int[] labels = [2, 0, 4];
        Check(t => Ops.Scale(Ops.SoftmaxCrossEntropy(t[0], labels), 3f), rng, [3, 5]);
    }

    [Fact]
    public void AdditiveWeightPerturbation_GradientThroughNetwork_MatchesFiniteDifferences()
    {
        // ΔW leaves on a conv and a linear layer of a small network (no ReLU/max-pool kinks, so finite differences are
        // exact to O(h²)); the perturbations go through WeightOverrides exactly as the worst-case search uses them.
        var rng = new Random(19);
        var conv = new Conv2d(2, 3, 3, rng, stride: 2, padding: 1);
        var bn = new BatchNorm2d(3);
        var fc = new Linear(3 * 3 * 3, 4, rng);
        var net = new Network("probe", new Sequential(("conv", conv), ("bn", bn), ("flatten", new Flatten()), ("fc", fc)), [2, 6, 6], 4);
        var x = TestUtil.RandomTensor(rng, 2, 2, 6, 6);
        var d1 = new Tensor(TestUtil.RandomArray(rng, conv.Weight.Length).Select(v => v * 0.1f).ToArray(), conv.Weight.ShapeArray());
        var d2 = new Tensor(TestUtil.RandomArray(rng, fc.Weight.Length).Select(v => v * 0.1f).ToArray(), fc.Weight.ShapeArray());
        Check(t => net.Forward(x, new ForwardContext { Weights = new WeightOverrides().Add(conv, t[0]).Add(fc, t[1]) }), rng, [d1, d2]);
    }

    [Fact]
    public void AdditiveWeightPerturbation_InLeNet_GradientEqualsWeightGradientAtPerturbedPoint()
    {
        // ∂L/∂ΔW = ∂L/∂W evaluated at W + ΔW: the nominal weight receives the same gradient, and it equals the gradient of
        // a copy of the network whose weights were overwritten with W + ΔW.
        var rng = new Random(20);
        var net = ModelZoo.CreateLeNet5(seed: 5);
        var x = new Tensor(TestUtil.RandomArray(rng, 2 * 28 * 28).Select(v => (v + 1) / 2).ToArray(), 2, 1, 28, 28);
        int[] labels = [1, 7];
        var conv2 = net.Layer("conv2");
        var delta = Tensor.Parameter(TestUtil.RandomArray(rng, conv2.Weight.Length).Select(v => v * 0.05f).ToArray(), conv2.Weight.ShapeArray());
        net.ZeroGrad();
        Ops.SoftmaxCrossEntropy(net.Forward(x, new ForwardContext { Weights = new WeightOverrides().Add(conv2, delta) }), labels).Backward();
        Assert.Equal(delta.Grad, conv2.Weight.Grad);

        var copy = ModelZoo.CreateLeNet5(seed: 5);
        for (var i = 0; i < delta.Length; i++)
        {
            copy.Layer("conv2").Weight.Data[i] += delta.Data[i];
        }

        Ops.SoftmaxCrossEntropy(copy.Forward(x), labels).Backward();
        TestUtil.AssertClose(copy.Layer("conv2").Weight.Grad, delta.Grad, 1e-6, 1e-5, "dL/dΔW vs dL/dW at W+ΔW");
    }

    private static void Check(Func<Tensor[], Tensor> f, Random rng, params int[][] shapes) =>
        Check(f, rng, shapes.Select(s => TestUtil.RandomTensor(rng, s)).ToArray());

    private static void Check(Func<Tensor[], Tensor> f, Random rng, Tensor[] inputs, int samplesPerInput = 40, float step = Step)
    {
        using var _ = Gemm.Use(GemmBackend.Managed);
        foreach (var t in inputs)
        {
            t.RequiresGrad = true;
            t.Grad = null;
        }

        var probe = f(inputs);
        var r = TestUtil.RandomArray(rng, probe.Length);
        Ops.WeightedSum(probe, r).Backward();

        double Loss()
        {
            using var __ = Tensor.NoGrad();
            var y = f(inputs).Data;
            double s = 0;
            for (var i = 0; i < y.Length; i++)
            {
                s += (double)y[i] * r[i];
            }

            return s;
        }

        for (var k = 0; k < inputs.Length; k++)
        {
            var t = inputs[k];
            Assert.NotNull(t.Grad);
            var indices = t.Length <= samplesPerInput ? Enumerable.Range(0, t.Length) : Enumerable.Range(0, samplesPerInput).Select(_ => rng.Next(t.Length));
            foreach (var i in indices)
            {
                var orig = t.Data[i];
                t.Data[i] = orig + step;
                var lp = Loss();
                t.Data[i] = orig - step;
                var lm = Loss();
                t.Data[i] = orig;
                var numeric = (lp - lm) / (2 * step);
                var analytic = t.Grad![i];
                var tol = AbsoluteTolerance + (RelativeTolerance * Math.Max(Math.Abs(numeric), Math.Abs(analytic)));
                Assert.True(Math.Abs(numeric - analytic) <= tol, $"input {k} index {i}: analytic {analytic}, numeric {numeric}");
            }
        }
    }
}

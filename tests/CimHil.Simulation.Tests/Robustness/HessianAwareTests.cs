using CimHil.Simulation.Nn;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;

namespace CimHil.Simulation.Tests.Robustness;

public sealed class HessianAwareTests
{
    /// <summary>Exact tr(H) of the tiny model: H_ii by central differences of the analytic gradient along e_i.</summary>
    private static double ExactTrace(Network net, CimHil.Simulation.Engine.Tensor x, int[] labels, float h)
    {
        var n = net.WeightedLayers[0].Weight.Length;
        var trace = 0.0;
        for (var i = 0; i < n; i++)
        {
            var plus = new float[n];
            var minus = new float[n];
            plus[i] = h;
            minus[i] = -h;
            var gp = LossGradients.OfWeights(net, x, labels, [plus]).Gradients[0][i];
            var gm = LossGradients.OfWeights(net, x, labels, [minus]).Gradients[0][i];
            trace += (gp - (double)gm) / (2 * h);
        }

        return trace;
    }

    [Fact]
    public void Hutchinson_MatchesExactTraceWithinEstimatorError()
    {
        var net = RobustnessTestModels.TinyLinear(1);
        // Scale the weights up so the Hessian has sizeable off-diagonal terms (the estimator's variance).
        var w = net.WeightedLayers[0].Weight.Data;
        for (var i = 0; i < w.Length; i++)
        {
            w[i] *= 4;
        }

        var (x, labels) = RobustnessTestModels.Batch(net, 8, 2);
        var exact = ExactTrace(net, x, labels, 1e-2f);
        var est = HutchinsonTrace.Estimate(net, x, labels, 400, 99, 1e-2f);
        Assert.True(exact > 0, $"CE Hessian of a linear model is PSD; trace {exact}");
        Assert.True(est.StandardError > 0);
        // 4 standard errors (estimated from the probes) plus the finite-difference/float32 error of the HVPs.
        Assert.True(Math.Abs(est.Trace - exact) <= (4 * est.StandardError) + (2e-3 * exact), $"Hutchinson {est.Trace} ± {est.StandardError} vs exact {exact}");
    }

    [Fact]
    public void PenaltyTrace_AgreesWithHutchinsonAndPenaltyGradientIsSymmetricSecondDifference()
    {
        var net = RobustnessTestModels.TinyLinear(3);
        var (x, labels) = RobustnessTestModels.Batch(net, 8, 4);
        var exact = ExactTrace(net, x, labels, 1e-2f);
        var method = new HessianAwareTraining(0.1, probes: 300, epsilon: 1e-2f);
        var (trace, gradient) = method.PenaltyGradient(net, x, labels, 5);
        // Rademacher vᵀHv for a 12×12 PSD matrix: loose 15 % band is > 4 standard errors at 300 probes for this model.
        Assert.InRange(trace, exact * 0.85, exact * 1.15);
        Assert.All(gradient[0], g => Assert.True(float.IsFinite(g)));
        Assert.Contains(gradient[0], g => g != 0);
    }

    [Fact]
    public void PenaltyGradient_IsADescentDirectionOfTheTrace()
    {
        var net = RobustnessTestModels.TinyLinear(4);
        var (x, labels) = RobustnessTestModels.Batch(net, 8, 5);
        var method = new HessianAwareTraining(1, probes: 50, epsilon: 1e-2f);
        var (before, gradient) = method.PenaltyGradient(net, x, labels, 21);
        var w = net.WeightedLayers[0].Weight.Data;
        var norm = Math.Sqrt(gradient[0].Sum(g => (double)g * g));
        for (var i = 0; i < w.Length; i++)
        {
            w[i] -= (float)(0.05 * gradient[0][i] / norm);
        }

        // Same probes (same seed): the estimated trace must fall along the negative penalty gradient.
        var (after, _) = method.PenaltyGradient(net, x, labels, 21);
        Assert.True(after < before, $"tr(H) estimate {before} → {after} after a step along −∇tr(H)");
    }

    [Fact]
    public void Step_WithZeroLambda_IsStandardTraining_AndPositiveLambdaAddsPenalty()
    {
        var net = RobustnessTestModels.TwoLayer(5);
        var (x, labels) = RobustnessTestModels.Batch(net, 8, 6);
        net.ZeroGrad();
        var std = new StandardTraining().Step(new TrainingBatch(net, x, labels, 1, 0, new Random(1)));
        var g0 = (float[])net.WeightedLayers[0].Weight.Grad!.Clone();

        net.ZeroGrad();
        var zero = new HessianAwareTraining(0).Step(new TrainingBatch(net, x, labels, 1, 0, new Random(1)));
        Assert.Equal(std.Loss, zero.Loss);
        Assert.Equal(g0, net.WeightedLayers[0].Weight.Grad!);

        net.ZeroGrad();
        var pen = new HessianAwareTraining(0.5).Step(new TrainingBatch(net, x, labels, 1, 0, new Random(1)));
        Assert.NotEqual(std.Loss, pen.Loss);
        Assert.NotEqual(g0, net.WeightedLayers[0].Weight.Grad!);
    }
}

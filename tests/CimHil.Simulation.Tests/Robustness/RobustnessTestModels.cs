using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Tests.Robustness;

/// <summary>Tiny networks and batches for the robustness tests.</summary>
internal static class RobustnessTestModels
{
    /// <summary>Flatten → Linear(16→6) → ReLU → Linear(6→4) on [1, 4, 4] inputs.</summary>
    public static Network TwoLayer(int seed)
    {
        var rng = new Random(seed);
        var body = new Sequential(("flatten", new Flatten()), ("fc1", new Linear(16, 6, rng)), ("relu", new Relu()), ("fc2", new Linear(6, 4, rng)));
        return new Network("robust-test", body, [1, 4, 4], 4);
    }

    /// <summary>Flatten → Linear(4→3, no bias) on [1, 2, 2]: 12 weights, small enough for an exact Hessian.</summary>
    public static Network TinyLinear(int seed)
    {
        var rng = new Random(seed);
        var body = new Sequential(("flatten", new Flatten()), ("fc", new Linear(4, 3, rng, bias: false)));
        return new Network("tiny-linear", body, [1, 2, 2], 3);
    }

    /// <summary>Uniform inputs in [−1, 1) of shape [n, ..inputShape] and random labels.</summary>
    public static (Tensor Input, int[] Labels) Batch(Network net, int n, int seed)
    {
        var rng = new Random(seed);
        var shape = new[] { n }.Concat(net.InputShape).ToArray();
        var x = Tensor.Zeros(shape);
        for (var i = 0; i < x.Length; i++)
        {
            x.Data[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(net.ClassCount)).ToArray();
        return (x, labels);
    }

    /// <summary>Mean cross-entropy at W + perturbation, no graph.</summary>
    public static double Loss(Network net, Tensor x, int[] labels, WeightOverrides overrides)
    {
        using (Tensor.NoGrad())
        {
            // Cross-entropy recomputed in double from the logits so finite differences are not limited by float32 rounding of the loss.
            var logits = net.Forward(x, ForwardContext.Inference with { Weights = overrides });
            var c = net.ClassCount;
            var total = 0.0;
            for (var n = 0; n < labels.Length; n++)
            {
                var row = logits.Data.AsSpan(n * c, c);
                var max = double.NegativeInfinity;
                foreach (var v in row)
                {
                    max = Math.Max(max, v);
                }

                var sum = 0.0;
                foreach (var v in row)
                {
                    sum += Math.Exp(v - max);
                }

                total += max + Math.Log(sum) - row[labels[n]];
            }

            return total / labels.Length;
        }
    }

    /// <summary>Standard normal CDF via erfc (Abramowitz &amp; Stegun 7.1.26, |error| ≤ 1.5e-7).</summary>
    public static double Phi(double x)
    {
        var z = Math.Abs(x) / Math.Sqrt(2);
        var t = 1 / (1 + (0.3275911 * z));
        var erfc = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429)))))))) * Math.Exp(-z * z);
        return x >= 0 ? 1 - (0.5 * erfc) : 0.5 * erfc;
    }
}

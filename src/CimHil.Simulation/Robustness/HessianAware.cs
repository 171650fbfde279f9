using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Robustness;

/// <summary>Hutchinson estimate of tr(H): the mean of vᵀHv over the probes and its standard error.</summary>
public sealed record TraceEstimate(double Trace, double StandardError, int Probes);

/// <summary>
/// Hutchinson's stochastic trace estimator (Hutchinson, Commun. Stat. Simul. Comput. 19, 1990): tr(H) = E[vᵀHv] for
/// Rademacher v (entries ±1), with H the Hessian of the mean cross-entropy w.r.t. all weighted layers' weights.
/// H·v comes from central differences of gradients (<see cref="LossGradients.HessianVectorProduct"/>; the engine's autograd
/// is first-order), error O(ε²).
/// </summary>
public static class HutchinsonTrace
{
    /// <summary>Rademacher probe vectors (±1), one array per weighted layer.</summary>
    public static float[][] Rademacher(Network network, SimulationRng rng)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(rng);
        return network.WeightedLayers.Select(l =>
        {
            var v = new float[l.Weight.Length];
            for (var i = 0; i < v.Length; i++)
            {
                v[i] = (rng.NextUInt64() & 1) == 0 ? 1f : -1f;
            }

            return v;
        }).ToArray();
    }

    /// <summary>vᵀHv averaged over <paramref name="probes"/> Rademacher vectors drawn from <paramref name="seed"/>.</summary>
    public static TraceEstimate Estimate(Network network, Tensor input, int[] labels, int probes, ulong seed, float epsilon = 1e-3f, ForwardContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(probes, 2);
        var rng = new SimulationRng(seed);
        double sum = 0, sumSq = 0;
        for (var p = 0; p < probes; p++)
        {
            var v = Rademacher(network, rng);
            var hv = LossGradients.HessianVectorProduct(network, input, labels, v, epsilon, context);
            var q = Dot(v, hv);
            sum += q;
            sumSq += q * q;
        }

        var mean = sum / probes;
        var variance = Math.Max(0, (sumSq - (probes * mean * mean)) / (probes - 1));
        return new TraceEstimate(mean, Math.Sqrt(variance / probes), probes);
    }

    internal static double Dot(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        var s = 0.0;
        for (var l = 0; l < a.Count; l++)
        {
            for (var i = 0; i < a[l].Length; i++)
            {
                s += (double)a[l][i] * b[l][i];
            }
        }

        return s;
    }
}

/// <summary>
/// Hessian-aware SGD in the spirit of Wan et al. ("Accuracy and Resiliency of Analog Compute-in-Memory Inference Engines",
/// ACM JETC 2022, arXiv 2008.02400): the training loss gets a curvature penalty λ·tr(H), H = ∂²L/∂W², which pushes the
/// weights to flat minima where additive device noise δ costs little (E[L(W + δ)] ≈ L(W) + σ²/2·tr(H) for i.i.d. δ).
/// </summary>
/// <remarks>
/// tr(H) is estimated with Hutchinson's Rademacher probes. Its gradient uses the symmetric second difference
/// vᵀHv ≈ (L(W + εv) + L(W − εv) − 2L(W))/ε², whose W-gradient is (∇L(W + εv) + ∇L(W − εv) − 2∇L(W))/ε²: two extra
/// gradient evaluations per probe and no third-order autograd. The penalty's gradients run in inference mode (BatchNorm
/// running statistics), the cross-entropy's in training mode.
/// </remarks>
public sealed class HessianAwareTraining : ITrainingMethod
{
    /// <summary>Penalty weight <paramref name="lambda"/> (≥ 0), Hutchinson <paramref name="probes"/> per step, difference step <paramref name="epsilon"/>.</summary>
    public HessianAwareTraining(double lambda, int probes = 1, float epsilon = 1e-2f)
    {
        if (!(lambda >= 0) || !double.IsFinite(lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, $"Hessian penalty weight {lambda} must be a finite number ≥ 0");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(probes, 1);
        if (!(epsilon > 0) || !float.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"difference step {epsilon} must be a positive finite number");
        }

        Lambda = lambda;
        Probes = probes;
        Epsilon = epsilon;
    }

    /// <summary>Weight of the trace penalty.</summary>
    public double Lambda { get; }

    /// <summary>Rademacher probes per step.</summary>
    public int Probes { get; }

    /// <summary>Finite-difference step along the probe.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public string Name => "hessian";

    /// <inheritdoc />
    public StepOutcome Step(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var outcome = TrainingSteps.ForwardBackward(batch, ForwardContext.Train);
        if (Lambda == 0)
        {
            return outcome;
        }

        var (trace, gradient) = PenaltyGradient(batch.Network, batch.Input, batch.Labels, SimulationRng.Derive(batch.Random.NextInt64(), batch.Epoch, batch.Step));
        var layers = batch.Network.WeightedLayers;
        for (var l = 0; l < layers.Count; l++)
        {
            var w = layers[l].Weight;
            w.Grad ??= new float[w.Length];
            for (var i = 0; i < w.Length; i++)
            {
                w.Grad[i] += (float)(Lambda * gradient[l][i]);
            }
        }

        return outcome with { Loss = outcome.Loss + (Lambda * trace) };
    }

    /// <summary>Hutchinson estimate of tr(H) and of ∇_W tr(H) (per weighted layer) on one batch, probes drawn from <paramref name="seed"/>.</summary>
    public (double Trace, float[][] Gradient) PenaltyGradient(Network network, Tensor input, int[] labels, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        var rng = new SimulationRng(seed);
        var g0 = LossGradients.OfWeights(network, input, labels).Gradients;
        var acc = g0.Select(g => new double[g.Length]).ToArray();
        var trace = 0.0;
        var e = (double)Epsilon;
        for (var p = 0; p < Probes; p++)
        {
            var v = HutchinsonTrace.Rademacher(network, rng);
            var plus = v.Select(a => a.Select(x => x * Epsilon).ToArray()).ToArray();
            var minus = v.Select(a => a.Select(x => -x * Epsilon).ToArray()).ToArray();
            var gp = LossGradients.OfWeights(network, input, labels, plus).Gradients;
            var gm = LossGradients.OfWeights(network, input, labels, minus).Gradients;
            for (var l = 0; l < acc.Length; l++)
            {
                for (var i = 0; i < acc[l].Length; i++)
                {
                    acc[l][i] += ((double)gp[l][i] + gm[l][i] - (2.0 * g0[l][i])) / (e * e);
                    trace += v[l][i] * ((double)gp[l][i] - gm[l][i]) / (2 * e);
                }
            }
        }

        return (trace / Probes, acc.Select(a => a.Select(x => (float)(x / Probes)).ToArray()).ToArray());
    }
}

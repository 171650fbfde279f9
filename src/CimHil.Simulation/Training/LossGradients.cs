using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Training;

/// <summary>
/// Loss gradients with respect to the weighted layers' effective weights, and Hessian-vector products by central
/// differences of those gradients. The network's parameters and their Grad buffers are left as they were.
/// </summary>
public static class LossGradients
{
    /// <summary>
    /// Mean cross-entropy on (x, labels) and ∂loss/∂W_eff for every weighted layer (in <see cref="Network.WeightedLayers"/>
    /// order), where W_eff = W + perturbation (perturbation null: nominal). BatchNorm runs in <paramref name="context"/>'s mode
    /// (default inference) without touching running statistics.
    /// </summary>
    public static (double Loss, float[][] Gradients) OfWeights(Network network, Tensor input, int[] labels, IReadOnlyList<float[]>? perturbation = null, ForwardContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var layers = network.WeightedLayers;
        if (perturbation is not null && perturbation.Count != layers.Count)
        {
            throw new ArgumentException($"{perturbation.Count} perturbation arrays for {layers.Count} weighted layers.", nameof(perturbation));
        }

        // Detach the real parameters so this probe neither reads nor pollutes their gradients.
        var parameters = network.Parameters();
        var saved = parameters.Select(p => (p.Grad, p.RequiresGrad)).ToArray();
        var bnSaved = SnapshotBatchNorm(network);
        try
        {
            foreach (var p in parameters)
            {
                p.Grad = null;
                p.RequiresGrad = false;
            }

            var overrides = new WeightOverrides();
            var effective = new Tensor[layers.Count];
            for (var i = 0; i < layers.Count; i++)
            {
                var w = (float[])layers[i].Weight.Data.Clone();
                if (perturbation is not null)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(w, perturbation[i], w);
                }

                effective[i] = Tensor.Parameter(w, layers[i].Weight.ShapeArray());
                overrides.Replace(layers[i], effective[i]);
            }

            var ctx = (context ?? ForwardContext.Inference) with { Weights = overrides };
            var loss = Ops.SoftmaxCrossEntropy(network.Forward(input, ctx), labels);
            loss.Backward();
            return (loss.Item(), effective.Select(e => e.Grad ?? new float[e.Length]).ToArray());
        }
        finally
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                parameters[i].Grad = saved[i].Grad;
                parameters[i].RequiresGrad = saved[i].RequiresGrad;
            }

            RestoreBatchNorm(network, bnSaved);
        }
    }

    /// <summary>
    /// H·v ≈ (∇L(W + εv) − ∇L(W − εv)) / 2ε over the weighted layers' weights (central difference, error O(ε²)),
    /// e.g. for Hutchinson's trace estimator tr(H) ≈ E[vᵀHv] with Rademacher v (Hutchinson 1990).
    /// </summary>
    public static float[][] HessianVectorProduct(Network network, Tensor input, int[] labels, IReadOnlyList<float[]> direction, float epsilon = 1e-3f, ForwardContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(direction);
        var plus = direction.Select(v => v.Select(x => x * epsilon).ToArray()).ToArray();
        var minus = direction.Select(v => v.Select(x => -x * epsilon).ToArray()).ToArray();
        var gp = OfWeights(network, input, labels, plus, context).Gradients;
        var gm = OfWeights(network, input, labels, minus, context).Gradients;
        var h = new float[gp.Length][];
        for (var i = 0; i < gp.Length; i++)
        {
            h[i] = new float[gp[i].Length];
            for (var j = 0; j < h[i].Length; j++)
            {
                h[i][j] = (float)((gp[i][j] - (double)gm[i][j]) / (2.0 * epsilon));
            }
        }

        return h;
    }

    private static List<(float[] Mean, float[] Var, long Count)> SnapshotBatchNorm(Network network) =>
        network.Modules.Select(m => m.Module).OfType<BatchNorm2d>()
            .Select(b => ((float[])b.RunningMean.Data.Clone(), (float[])b.RunningVar.Data.Clone(), b.BatchesTracked)).ToList();

    private static void RestoreBatchNorm(Network network, List<(float[] Mean, float[] Var, long Count)> saved)
    {
        var i = 0;
        foreach (var b in network.Modules.Select(m => m.Module).OfType<BatchNorm2d>())
        {
            saved[i].Mean.CopyTo(b.RunningMean.Data, 0);
            saved[i].Var.CopyTo(b.RunningVar.Data, 0);
            b.BatchesTracked = saved[i].Count;
            i++;
        }
    }
}

using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Training;

/// <summary>Updates parameters from their accumulated gradients.</summary>
public interface IOptimizer
{
    /// <summary>Learning rate (may be changed between steps by a schedule).</summary>
    float LearningRate { get; set; }

    /// <summary>The parameters this optimizer updates.</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Applies one update using each parameter's Grad (parameters without a gradient are skipped).</summary>
    void Step();

    /// <summary>Clears all parameters' gradients.</summary>
    void ZeroGrad()
    {
        foreach (var p in Parameters)
        {
            p.ZeroGrad();
        }
    }
}

/// <summary>
/// SGD with momentum and L2 weight decay, PyTorch semantics (torch.optim.SGD): g += wd·p; v = μ·v + g; p −= lr·v.
/// </summary>
public sealed class Sgd(IReadOnlyList<Tensor> parameters, float learningRate, float momentum = 0f, float weightDecay = 0f) : IOptimizer
{
    private readonly float[]?[] _velocity = new float[]?[parameters.Count];

    /// <inheritdoc />
    public float LearningRate { get; set; } = learningRate;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters { get; } = parameters;

    /// <summary>Momentum μ.</summary>
    public float Momentum { get; } = momentum;

    /// <summary>L2 weight decay.</summary>
    public float WeightDecay { get; } = weightDecay;

    /// <inheritdoc />
    public void Step()
    {
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad is null)
            {
                continue;
            }

            var w = p.Data;
            var g = p.Grad;
            if (Momentum == 0f)
            {
                for (var j = 0; j < w.Length; j++)
                {
                    w[j] -= LearningRate * (g[j] + (WeightDecay * w[j]));
                }

                continue;
            }

            var v = _velocity[i];
            if (v is null)
            {
                // PyTorch initialises the buffer with the first gradient (no dampening on step 1).
                v = _velocity[i] = new float[w.Length];
                for (var j = 0; j < w.Length; j++)
                {
                    v[j] = g[j] + (WeightDecay * w[j]);
                    w[j] -= LearningRate * v[j];
                }

                continue;
            }

            for (var j = 0; j < w.Length; j++)
            {
                v[j] = (Momentum * v[j]) + g[j] + (WeightDecay * w[j]);
                w[j] -= LearningRate * v[j];
            }
        }
    }
}

/// <summary>
/// Adam (Kingma &amp; Ba, ICLR 2015, Algorithm 1) with bias correction and optional L2 weight decay, PyTorch semantics
/// (torch.optim.Adam): p −= lr · m̂ / (√v̂ + ε).
/// </summary>
public sealed class Adam(IReadOnlyList<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f) : IOptimizer
{
    private readonly float[][] _m = parameters.Select(p => new float[p.Length]).ToArray();
    private readonly float[][] _v = parameters.Select(p => new float[p.Length]).ToArray();
    private readonly int[] _t = new int[parameters.Count];

    /// <inheritdoc />
    public float LearningRate { get; set; } = learningRate;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters { get; } = parameters;

    /// <inheritdoc />
    public void Step()
    {
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad is null)
            {
                continue;
            }

            var t = ++_t[i];
            var bc1 = 1 - Math.Pow(beta1, t);
            var bc2 = 1 - Math.Pow(beta2, t);
            var stepSize = (float)(LearningRate / bc1);
            var bc2Sqrt = (float)Math.Sqrt(bc2);
            var w = p.Data;
            var g = p.Grad;
            var m = _m[i];
            var v = _v[i];
            for (var j = 0; j < w.Length; j++)
            {
                var gj = g[j] + (weightDecay * w[j]);
                m[j] = (beta1 * m[j]) + ((1 - beta1) * gj);
                v[j] = (beta2 * v[j]) + ((1 - beta2) * gj * gj);
                w[j] -= stepSize * m[j] / ((MathF.Sqrt(v[j]) / bc2Sqrt) + epsilon);
            }
        }
    }
}

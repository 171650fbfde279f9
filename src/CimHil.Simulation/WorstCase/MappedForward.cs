using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.WorstCase;

/// <summary>What one pass over the test set found: correct count, objective, per-sample margins and optionally ∂objective/∂W.</summary>
public sealed record PassOutcome(int Correct, int Total, double Loss, float[] Margins, float[][]? WeightGradients)
{
    /// <summary>Correct / Total.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>
/// The deterministic mapped forward the worst case is defined on: conductances → weights (the mapping's linear decode) →
/// the network, per-tile with DAC/ADC when the mapping configures converters. No read noise: the worst case is over the
/// programmed conductances. Also the gradient pass: ∂objective/∂W through the engine's autograd; with converters the
/// gradient is taken through the ideal (unquantised) forward, a straight-through estimate, while accuracies always come
/// from the exact forward.
/// </summary>
public sealed class MappedForward : IWorstCasePasses
{
    private readonly CrossbarForward? _crossbar;

    /// <summary>Prepares passes of <paramref name="mapped"/> over <paramref name="data"/>.</summary>
    public MappedForward(MappedNetwork mapped, TestSet data)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(data);
        Mapped = mapped;
        Data = data;
        if (mapped.Options.NeedsTiledForward)
        {
            var ranges = mapped.Ranges ?? throw new InvalidOperationException("The mapping uses DAC/ADC quantisation: call MappedNetwork.CalibratePeriphery before a worst-case search.");
            _crossbar = new CrossbarForward(mapped, ranges);
        }
    }

    /// <summary>The mapped network.</summary>
    public MappedNetwork Mapped { get; }

    /// <summary>The evaluation images, in fixed batches.</summary>
    public TestSet Data { get; }

    /// <summary>True when the exact forward is tiled with converters (so gradient passes need a separate exact evaluation).</summary>
    public bool HasConverters => _crossbar is not null;

    /// <summary>Accuracy of the chip holding <paramref name="conductances"/> (exact forward, no gradient).</summary>
    public double Accuracy(IReadOnlyList<LayerConductances> conductances) => Evaluate(conductances, 0, double.PositiveInfinity).Accuracy;

    /// <summary>Exact forward over every batch: correct count, objective Σ clamp(m, −κ, U) and margins.</summary>
    public PassOutcome Evaluate(IReadOnlyList<LayerConductances> conductances, double kappa, double upper)
    {
        ArgumentNullException.ThrowIfNull(conductances);
        var weights = Decode(conductances);
        float[][][]? slices = _crossbar is null ? null : Mapped.Layers.Select((l, i) => MappedNetwork.SliceWeights(l, conductances[i])).ToArray();
        var ctx = slices is null ? Mapped.WeightContext(weights) : _crossbar!.Context(slices, null);
        var margins = new float[Data.Count];
        var correct = 0;
        var loss = 0.0;
        var offset = 0;
        using (Tensor.NoGrad())
        {
            for (var b = 0; b < Data.Batches.Count; b++)
            {
                var logits = Mapped.Network.Forward(Data.Batches[b], ctx);
                (var c, var l) = Score(logits, Data.BatchLabels(b), kappa, upper, margins.AsSpan(offset), null);
                correct += c;
                loss += l;
                offset += logits.Dim(0);
            }
        }

        return new PassOutcome(correct, Data.Count, loss, margins, null);
    }

    /// <summary>
    /// Forward and backward over every batch with the ideal weight forward: the objective, margins, correct count (of that
    /// forward) and ∂objective/∂W per layer, summed over batches. The network's own parameters are left untouched.
    /// </summary>
    public PassOutcome Gradient(IReadOnlyList<LayerConductances> conductances, double kappa, double upper)
    {
        ArgumentNullException.ThrowIfNull(conductances);
        var network = Mapped.Network;
        var weights = Decode(conductances);
        var parameters = network.Parameters();
        var saved = parameters.Select(p => (p.Grad, p.RequiresGrad)).ToArray();
        var gradients = Mapped.Layers.Select(l => new float[l.OutputCount * l.FanIn]).ToArray();
        var margins = new float[Data.Count];
        var correct = 0;
        var loss = 0.0;
        try
        {
            foreach (var p in parameters)
            {
                p.Grad = null;
                p.RequiresGrad = false;
            }

            var offset = 0;
            for (var b = 0; b < Data.Batches.Count; b++)
            {
                var overrides = new WeightOverrides();
                var leaves = new Tensor[Mapped.Layers.Count];
                for (var l = 0; l < leaves.Length; l++)
                {
                    var layer = Mapped.Layers[l].Layer;
                    leaves[l] = Tensor.Parameter(weights[l], layer.Weight.ShapeArray());
                    overrides.Replace(layer, leaves[l]);
                }

                var logits = network.Forward(Data.Batches[b], new ForwardContext { Weights = overrides });
                var seed = new float[logits.Length];
                (var c, var lb) = Score(logits, Data.BatchLabels(b), kappa, upper, margins.AsSpan(offset), seed);
                correct += c;
                loss += lb;
                offset += logits.Dim(0);
                if (Array.Exists(seed, v => v != 0))
                {
                    logits.Backward(seed);
                    for (var l = 0; l < leaves.Length; l++)
                    {
                        if (leaves[l].Grad is { } g)
                        {
                            System.Numerics.Tensors.TensorPrimitives.Add(gradients[l], g, gradients[l]);
                        }
                    }
                }
            }
        }
        finally
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                parameters[i].Grad = saved[i].Grad;
                parameters[i].RequiresGrad = saved[i].RequiresGrad;
            }
        }

        return new PassOutcome(correct, Data.Count, loss, margins, gradients);
    }

    private float[][] Decode(IReadOnlyList<LayerConductances> conductances)
    {
        if (conductances.Count != Mapped.Layers.Count)
        {
            throw new ArgumentException($"{conductances.Count} conductance sets for {Mapped.Layers.Count} mapped layers.", nameof(conductances));
        }

        return Mapped.Layers.Select((l, i) => l.Decode(conductances[i])).ToArray();
    }

    private static (int Correct, double Loss) Score(Tensor logits, ReadOnlySpan<int> labels, double kappa, double upper, Span<float> margins, float[]? seed)
    {
        var classes = logits.Dim(1);
        var predicted = Ops.ArgMax(logits);
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            if (predicted[i] == labels[i])
            {
                correct++;
            }
        }

        WorstCaseLoss.Margins(logits.Data, labels, classes, margins);
        var loss = WorstCaseLoss.Evaluate(logits.Data, labels, classes, kappa, upper, seed ?? Span<float>.Empty);
        return (correct, loss);
    }
}

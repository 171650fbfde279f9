using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Training;

/// <summary>What a training method sees for one step.</summary>
/// <param name="Network">The network being trained (parameters are leaves with RequiresGrad).</param>
/// <param name="Input">The batch [N, C, H, W].</param>
/// <param name="Labels">The batch labels.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">0-based step within the epoch.</param>
/// <param name="Random">The trainer's seeded generator: draw noise from it so runs are reproducible.</param>
public sealed record TrainingBatch(Network Network, Tensor Input, int[] Labels, int Epoch, int Step, Random Random);

/// <summary>Loss (the value optimised, including any extra terms) and correct predictions of one step.</summary>
public sealed record StepOutcome(double Loss, int Correct);

/// <summary>
/// A pluggable training step (standard, noise injection, Hessian-aware, …). The trainer zeroes gradients, calls
/// <see cref="Step"/>, which must leave ∂loss/∂parameter in each parameter's Grad, then applies the optimizer and
/// <see cref="AfterUpdate"/>.
/// </summary>
public interface ITrainingMethod
{
    /// <summary>Name for logs and checkpoint metadata.</summary>
    string Name { get; }

    /// <summary>Forward, loss and backward for one batch.</summary>
    StepOutcome Step(TrainingBatch batch);

    /// <summary>Called after the optimizer update (e.g. to clip weights to a conductance range).</summary>
    void AfterUpdate(Network network)
    {
    }

    /// <summary>
    /// The first epoch whose weights are this method's result (1-based). A method that starts with a warm-up of another
    /// objective (A-TRICE's noise-only epochs) returns the epoch after it, so early stopping never keeps warm-up weights
    /// merely because their clean validation accuracy is higher — that is the warm-up's objective, not the method's.
    /// </summary>
    int FirstSelectableEpoch => 1;
}

/// <summary>Plain cross-entropy training with nominal weights.</summary>
public sealed class StandardTraining : ITrainingMethod
{
    /// <inheritdoc />
    public string Name => "standard";

    /// <inheritdoc />
    public StepOutcome Step(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return TrainingSteps.ForwardBackward(batch, ForwardContext.Train);
    }
}

/// <summary>Building blocks for <see cref="ITrainingMethod"/> implementations.</summary>
public static class TrainingSteps
{
    /// <summary>
    /// Forward in <paramref name="context"/> (set Training = true and, e.g., Weights = noisy overrides), mean cross-entropy
    /// plus optional extra loss terms computed from the logits, then backward.
    /// </summary>
    public static StepOutcome ForwardBackward(TrainingBatch batch, ForwardContext context, Func<Tensor, Tensor?>? extraLoss = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var logits = batch.Network.Forward(batch.Input, context);
        var loss = Ops.SoftmaxCrossEntropy(logits, batch.Labels);
        if (extraLoss?.Invoke(logits) is { } extra)
        {
            loss = Ops.Add(loss, extra);
        }

        loss.Backward();
        return new StepOutcome(loss.Item(), CountCorrect(logits, batch.Labels));
    }

    /// <summary>Number of rows whose arg-max equals the label.</summary>
    public static int CountCorrect(Tensor logits, ReadOnlySpan<int> labels)
    {
        var pred = Ops.ArgMax(logits);
        var c = 0;
        for (var i = 0; i < pred.Length; i++)
        {
            c += pred[i] == labels[i] ? 1 : 0;
        }

        return c;
    }
}

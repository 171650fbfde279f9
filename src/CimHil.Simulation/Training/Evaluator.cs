using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Training;

/// <summary>Accuracy and loss of a network on a dataset, under any forward context (nominal, perturbed, CiM hooks).</summary>
public static class Evaluator
{
    /// <summary>Fraction of correctly classified samples (no gradient recorded).</summary>
    public static double Accuracy(Network network, Dataset data, int batchSize = 1000, ForwardContext? context = null) =>
        Evaluate(network, data, batchSize, context).Accuracy;

    /// <summary>Accuracy and mean cross-entropy (no gradient recorded).</summary>
    public static (double Accuracy, double Loss) Evaluate(Network network, Dataset data, int batchSize = 1000, ForwardContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        using var _ = Tensor.NoGrad();
        long correct = 0;
        double loss = 0;
        foreach (var (x, y) in data.Batches(batchSize))
        {
            var logits = network.Forward(x, context);
            correct += TrainingSteps.CountCorrect(logits, y);
            loss += Ops.SoftmaxCrossEntropy(logits, y).Item() * (double)y.Length;
        }

        return data.Count == 0 ? (0, 0) : ((double)correct / data.Count, loss / data.Count);
    }
}

using CimHil.Simulation.Data;

namespace CimHil.Simulation.Training;

/// <summary>
/// A validation set carved out of the training set: the model is fitted on <see cref="Fit"/> and early stopping reads
/// <see cref="Validation"/>, so no decision of training ever looks at a test image. Indices refer to the training set
/// the split was carved from.
/// </summary>
/// <param name="Fit">The samples trained on.</param>
/// <param name="Validation">The held-out samples early stopping is judged on.</param>
/// <param name="FitIndices">Indices of <paramref name="Fit"/>'s samples in the original training set, ascending.</param>
/// <param name="ValidationIndices">Indices of <paramref name="Validation"/>'s samples in the original training set, ascending.</param>
public sealed record ValidationSplit(Dataset Fit, Dataset Validation, IReadOnlyList<int> FitIndices, IReadOnlyList<int> ValidationIndices)
{
    /// <summary>
    /// Holds out <paramref name="validationSamples"/> training samples chosen by a seeded permutation (a fixed
    /// <paramref name="seed"/> gives the same split to every training seed, so seeds differ only in initialisation and
    /// order). Both parts keep the training set's order.
    /// </summary>
    public static ValidationSplit Carve(Dataset train, int validationSamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (validationSamples < 1 || validationSamples >= train.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(validationSamples), validationSamples,
                $"validation samples {validationSamples} must be between 1 and {train.Count - 1} (the training set has {train.Count} samples and needs at least one left to fit)");
        }

        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(seed).Shuffle(order);
        var validation = order[..validationSamples];
        var fit = order[validationSamples..];
        Array.Sort(validation);
        Array.Sort(fit);
        return new ValidationSplit(train.Select(fit), train.Select(validation), fit, validation);
    }
}

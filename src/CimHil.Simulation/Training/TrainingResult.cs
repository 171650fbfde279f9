namespace CimHil.Simulation.Training;

/// <summary>
/// Result of a training run. <paramref name="BestEpoch"/> is the epoch whose weights the network holds afterwards: the
/// best on the validation set when there was one (its weights are restored), else the last epoch run.
/// </summary>
public sealed record TrainingResult(string Method, IReadOnlyList<EpochResult> Epochs, double TotalSeconds, int BestEpoch = 0)
{
    /// <summary>Epochs actually run (fewer than the budget when early stopping ended training).</summary>
    public int EpochsRun => Epochs.Count;

    /// <summary>The epoch the returned weights come from (1-based; 0 when no epoch ran).</summary>
    public int ReturnedEpoch => BestEpoch > 0 ? BestEpoch : Epochs.Count;

    /// <summary>Validation accuracy of <see cref="ReturnedEpoch"/> (null without a validation set).</summary>
    public double? BestValidationAccuracy => ReturnedEpoch == 0 ? null : Epochs[ReturnedEpoch - 1].ValidationAccuracy;

    /// <summary>Test accuracy of the returned weights (<see cref="ReturnedEpoch"/>; null without a test set).</summary>
    public double? FinalTestAccuracy => ReturnedEpoch == 0 ? null : Epochs[ReturnedEpoch - 1].TestAccuracy;
}

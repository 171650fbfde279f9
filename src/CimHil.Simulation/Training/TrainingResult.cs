namespace CimHil.Simulation.Training;

/// <summary>Result of a training run.</summary>
public sealed record TrainingResult(string Method, IReadOnlyList<EpochResult> Epochs, double TotalSeconds)
{
    /// <summary>Test accuracy after the last epoch (null without a test set).</summary>
    public double? FinalTestAccuracy => Epochs.Count == 0 ? null : Epochs[^1].TestAccuracy;
}

namespace CimHil.Simulation.Training;

/// <summary>Result of one epoch; <paramref name="ValidationAccuracy"/> is null without a validation set.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double? TestAccuracy, double? TestLoss, double Seconds, float LearningRate, double? ValidationAccuracy = null);

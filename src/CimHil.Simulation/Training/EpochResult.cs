namespace CimHil.Simulation.Training;

/// <summary>Result of one epoch.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double? TestAccuracy, double? TestLoss, double Seconds, float LearningRate);

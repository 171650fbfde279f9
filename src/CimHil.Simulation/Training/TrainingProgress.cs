namespace CimHil.Simulation.Training;

/// <summary>Progress report: after every step; <see cref="CompletedEpoch"/> is set on the last report of an epoch.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double RunningLoss, EpochResult? CompletedEpoch);

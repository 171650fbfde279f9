namespace CimHil.Simulation.Training;

/// <summary>How the learning rate changes from epoch to epoch (<see cref="TrainerOptions.LearningRateAt"/>).</summary>
public enum LearningRateSchedule
{
    /// <summary>lr·decay^(epoch−1): constant with the default decay of 1 (the trainer's original behaviour).</summary>
    Constant,

    /// <summary>
    /// Cosine annealing over the epoch budget (Loshchilov &amp; Hutter, "SGDR", ICLR 2017, eq. 5 without restarts):
    /// lr·½(1 + cos(π·(epoch−1)/Epochs)). Chosen over a step schedule because it has no milestones or factor to tune
    /// and its last epochs run at a small rate, which settles the weights before early stopping picks the best epoch.
    /// </summary>
    Cosine,
}

namespace CimHil.Simulation.Training;

/// <summary>Trainer settings.</summary>
public sealed record TrainerOptions
{
    /// <summary>Passes over the training set; with <see cref="Patience"/> the most it may run.</summary>
    public int Epochs { get; init; } = 6;

    /// <summary>Samples per optimizer step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of the shuffling and of the method's random draws.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Initial learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>SGD momentum.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>L2 weight decay.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Multiply the learning rate by this after every epoch (1: constant).</summary>
    public float LearningRateDecay { get; init; } = 1f;

    /// <summary>Learning-rate schedule over <see cref="Epochs"/>.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>
    /// Training samples held out as a validation set (<see cref="ValidationSplit.Carve"/>); 0: none. With a validation set
    /// the trainer returns the weights of the epoch with the best validation accuracy.
    /// </summary>
    public int ValidationSamples { get; init; }

    /// <summary>Seed of the validation split (fixed by default so every training seed holds out the same samples).</summary>
    public int ValidationSeed { get; init; }

    /// <summary>Early stopping: stop after this many epochs without a better validation accuracy; 0: run all <see cref="Epochs"/>.</summary>
    public int Patience { get; init; }

    /// <summary>Batch size for test-set evaluation.</summary>
    public int EvaluationBatchSize { get; init; } = 1000;

    /// <summary>The learning rate of 1-based <paramref name="epoch"/> under <see cref="Schedule"/>.</summary>
    public float LearningRateAt(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        return Schedule switch
        {
            LearningRateSchedule.Cosine => (float)(LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / Epochs))),
            _ => (float)(LearningRate * Math.Pow(LearningRateDecay, epoch - 1)),
        };
    }

    /// <summary>Checks the values; throws naming the offending one.</summary>
    public void Validate()
    {
        if (Epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be at least 1.");
        }

        if (!(LearningRate > 0) || float.IsInfinity(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Learning rate must be a positive finite number.");
        }

        if (ValidationSamples < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationSamples), ValidationSamples, "Validation samples must be ≥ 0 (0: no validation set).");
        }

        if (Patience < 0 || (Patience > 0 && ValidationSamples == 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be ≥ 0, and early stopping (patience > 0) needs a validation set (validation samples > 0).");
        }

        if (!Enum.IsDefined(Schedule))
        {
            throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "Unknown learning-rate schedule.");
        }
    }
}

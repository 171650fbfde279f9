namespace CimHil.Simulation.Training;

/// <summary>Trainer settings.</summary>
public sealed record TrainerOptions
{
    /// <summary>Passes over the training set.</summary>
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

    /// <summary>Batch size for test-set evaluation.</summary>
    public int EvaluationBatchSize { get; init; } = 1000;

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
    }
}

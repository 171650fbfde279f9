using System.Collections.Immutable;

namespace CimHil.Workflows;

/// <summary>One trained model of the study.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Parameters">Method and parameters (checkpoint metadata).</param>
/// <param name="Checkpoint">Cached checkpoint path.</param>
/// <param name="Cached">True when the checkpoint was reused instead of trained.</param>
/// <param name="FloatAccuracy">Float (unmapped) accuracy on the Monte-Carlo test images, as recorded at training.</param>
/// <param name="TrainSeconds">Training time (0 when cached).</param>
public sealed record StudyModel(string Method, int Seed, IReadOnlyDictionary<string, string> Parameters, string Checkpoint, bool Cached, double FloatAccuracy, double TrainSeconds)
{
    /// <summary>Epochs the training actually ran (early stopping may end it before the budget).</summary>
    public int EpochsRun { get; init; }

    /// <summary>Validation accuracy of the epoch whose weights were kept (null without a validation split).</summary>
    public double? BestValidationAccuracy { get; init; }
}

/// <summary>One per-seed row of the study: a method trained with one seed, judged under one variation model.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Seed">Training seed (its Monte-Carlo and worst-case seeds follow from it: <see cref="StudySeeds"/>).</param>
/// <param name="Model">"calibrated" or "gaussian".</param>
/// <param name="Variation">The variation model as the Monte-Carlo evaluator describes it.</param>
/// <param name="Representation">Weight representation used for the mapping.</param>
/// <param name="MonteCarlo">Clean mapped accuracy, mean, standard deviation, percentile with its bootstrap interval, chip accuracies.</param>
/// <param name="WorstCase">Worst-case accuracy per bound k.</param>
public sealed record StudyRow(string Method, int Seed, string Model, string Variation, WeightRepresentation Representation, MonteCarloSummary MonteCarlo, WorstCaseSummary WorstCase);

/// <summary>Everything a study produced; study.json.</summary>
public sealed record StudyResults : WorkflowResults
{
    /// <summary>SHA-256 of hil-config.json's content, as in the measurement store's provenance.</summary>
    public required string ConfigHash { get; init; }

    /// <summary>The CimHil version that ran the study.</summary>
    public required string SoftwareVersion { get; init; }

    /// <summary>The machine it ran on.</summary>
    public required string Host { get; init; }

    /// <summary>The Fashion-MNIST folder.</summary>
    public required string Dataset { get; init; }

    /// <summary>The study settings after the command line's overrides.</summary>
    public required StudySettings Settings { get; init; }

    /// <summary>The CiM mapping (simulation.mapping) before each method's own changes.</summary>
    public required CimMappingOptions Mapping { get; init; }

    /// <summary>The trained (or cached) model of each method, in table order.</summary>
    public required ImmutableArray<StudyModel> Models { get; init; }

    /// <summary>One row per method, seed and variation model (method-major, then seed, then model).</summary>
    public required ImmutableArray<StudyRow> Rows { get; init; }

    /// <summary>Per method and variation model: every column's mean and interval across seeds, and its paired test against standard training.</summary>
    public ImmutableArray<StudyAggregateRow> Aggregate { get; init; } = [];

    /// <summary>Seconds per stage, by stage name.</summary>
    public ImmutableDictionary<string, double> StageSeconds { get; init; } = ImmutableDictionary<string, double>.Empty;
}

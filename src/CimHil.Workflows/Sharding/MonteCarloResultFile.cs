using System.Collections.Immutable;
using System.Text.Json;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// The result file of <c>cimhil evaluate --out FILE</c> and of a Slurm run's merge: the distribution over chips and
/// nothing that depends on timing or on how the chips were split, so a sharded run and a single process give the same
/// bytes.
/// </summary>
public sealed record MonteCarloResultFile
{
    /// <summary>The run's identity (model, data, variation, seed, chips).</summary>
    public required MonteCarloRunIdentity Run { get; init; }

    /// <summary>Mean over chips.</summary>
    public required double Mean { get; init; }

    /// <summary>Sample standard deviation over chips.</summary>
    public required double StandardDeviation { get; init; }

    /// <summary>Worst chip.</summary>
    public required double Minimum { get; init; }

    /// <summary>k-th percentile accuracy.</summary>
    public required double Percentile { get; init; }

    /// <summary>Bootstrap interval of the mean.</summary>
    public required CimHil.Core.Devices.Interval MeanInterval { get; init; }

    /// <summary>Bootstrap interval of the percentile.</summary>
    public required CimHil.Core.Devices.Interval PercentileInterval { get; init; }

    /// <summary>Confidence level of both intervals.</summary>
    public required double ConfidenceLevel { get; init; }

    /// <summary>Accuracy of each chip, by chip index.</summary>
    public required ImmutableArray<double> ChipAccuracies { get; init; }

    /// <summary>The file for <paramref name="result"/> of the run <paramref name="run"/>.</summary>
    public static MonteCarloResultFile From(MonteCarloResult result, MonteCarloRunIdentity run)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new MonteCarloResultFile
        {
            Run = run,
            Mean = result.Mean,
            StandardDeviation = result.StandardDeviation,
            Minimum = result.Minimum,
            Percentile = result.Percentile,
            MeanInterval = result.MeanInterval,
            PercentileInterval = result.PercentileInterval,
            ConfidenceLevel = result.ConfidenceLevel,
            ChipAccuracies = result.ChipAccuracies,
        };
    }

    /// <summary>Writes the file atomically (a reader never sees half of it).</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(this, WorkflowJson.Options) + "\n", cancellationToken);
}

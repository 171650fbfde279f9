using System.Text.Json;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// The result file of <c>cimhil worst-case --result FILE</c>, of each worst-case shard, and of a Slurm run's merge: the
/// curve over k with its Δ files and the Monte-Carlo reference; nothing that depends on timing.
/// </summary>
public sealed record WorstCaseResultFile
{
    /// <summary>The sweep's identity.</summary>
    public required WorstCaseRunIdentity Run { get; init; }

    /// <summary>One point per bound, ascending k.</summary>
    public required IReadOnlyList<WorstCasePointFile> Points { get; init; }

    /// <summary>The Monte-Carlo reference (chips, mean, minimum, percentile), when one was run.</summary>
    public MonteCarloReference? MonteCarlo { get; init; }

    /// <summary>The file for <paramref name="report"/>; Δ paths are written relative to <paramref name="folder"/>.</summary>
    public static WorstCaseResultFile From(WorstCaseReport report, WorstCaseRunIdentity run, string folder, int? shard)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new WorstCaseResultFile
        {
            Run = run,
            Points = [.. report.Points.Select(p => new WorstCasePointFile(p.K, p.Accuracy, p.FromSmallerBound, p.PerturbationPath is { } path ? Path.GetRelativePath(folder, path) : null, shard))],
            MonteCarlo = report.MonteCarlo is { } mc ? mc with { Seconds = 0 } : null,
        };
    }

    /// <summary>Reads a result file; a damaged or partial one is refused, naming the file.</summary>
    public static Task<WorstCaseResultFile> LoadAsync(string path, CancellationToken cancellationToken) =>
        StageResultFile.ReadJsonAsync<WorstCaseResultFile>(path, WorkflowJson.Options, r => r.Run is not null && r.Points is { Count: > 0 }, cancellationToken);

    /// <summary>Writes the file atomically.</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(this, WorkflowJson.Options) + "\n", cancellationToken);
    }
}

using System.Text.Json;

namespace CimHil.Workflows.Slurm;

/// <summary>
/// <c>slurm.json</c> in a Slurm run folder: what was split how, and every submission (the first one and each resume), so
/// that <c>slurm status</c>, <c>wait</c> and <c>resume</c> need nothing but the folder.
/// </summary>
public sealed record SlurmRunManifest
{
    /// <summary>The manifest's file name in the run folder.</summary>
    public const string FileName = "slurm.json";

    /// <summary>The array script's file name in the run folder.</summary>
    public const string ArrayScriptName = "shards.sbatch";

    /// <summary>The merge script's file name in the run folder.</summary>
    public const string MergeScriptName = "merge.sbatch";

    /// <summary>The sharded command ("evaluate").</summary>
    public required string Kind { get; init; }

    /// <summary>Shards of the run (array tasks 0 … ShardCount − 1).</summary>
    public required int ShardCount { get; init; }

    /// <summary>The merged result's file name in the run folder.</summary>
    public required string ResultFile { get; init; }

    /// <summary>Submissions, oldest first.</summary>
    public required IReadOnlyList<SlurmSubmission> Submissions { get; init; }

    /// <summary>When the run was first submitted.</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Reads the manifest of <paramref name="runFolder"/>; a folder without one is named.</summary>
    public static async Task<SlurmRunManifest> LoadAsync(string runFolder, CancellationToken cancellationToken)
    {
        var path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path))
        {
            throw new SlurmException($"{runFolder}: not a Slurm run folder (no {FileName}); a run folder is the one `--slurm` printed");
        }

        return await StageResultFile.ReadJsonAsync<SlurmRunManifest>(path, WorkflowJson.Options, m => m.Submissions is { Count: > 0 } && m.ShardCount > 0, cancellationToken);
    }

    /// <summary>Writes the manifest atomically.</summary>
    public Task SaveAsync(string runFolder, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, WorkflowJson.Options) + "\n", cancellationToken);
}

using System.Collections.Immutable;
using System.Text.Json;
using CimHil.Characterization.Store;

namespace CimHil.Workflows;

/// <summary>
/// The measurement store a run was made from instead of a chip (<c>run --from-store</c>): where it was, its SHA-256 when
/// the run read it, what it holds and where its measurements came from (every import's files, hashes and mapping). The
/// run folder keeps it as source-store.json, results.json and the report repeat it.
/// </summary>
public sealed record SourceStore
{
    /// <summary>The store's full path.</summary>
    public required string Path { get; init; }

    /// <summary>SHA-256 of the store file (lower-case hex) when the run read it.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The store's own run id (its name when it was created).</summary>
    public required string StoreRunId { get; init; }

    /// <summary>The chip the store says it measured (<c>imported</c> for a store an import created).</summary>
    public required string Chip { get; init; }

    /// <summary>The driver the store says took it (<c>import</c> for a store an import created).</summary>
    public required string Driver { get; init; }

    /// <summary>Measurement records in the store.</summary>
    public required long Measurements { get; init; }

    /// <summary>Records per procedure, in the order the store ran or imported them.</summary>
    public required ImmutableArray<KeyValuePair<string, long>> Procedures { get; init; }

    /// <summary>The imports that wrote the store (none for a store a characterisation wrote).</summary>
    public required ImmutableArray<ImportRecord> Imports { get; init; }

    /// <summary>Reads source-store.json of a run folder, or null when the run was not made from a store.</summary>
    public static async Task<SourceStore?> TryLoadAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        return JsonDuplicateKeys.Deserialize<SourceStore>(await File.ReadAllTextAsync(path, ct), WorkflowJson.Options, path)
            ?? throw new InvalidDataException($"{path}: empty");
    }
}

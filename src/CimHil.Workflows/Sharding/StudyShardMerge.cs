using System.Collections.Immutable;
using System.Text.Json;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// Merges the study shards of a run folder, one per method: each trained and evaluated its method exactly as the
/// single-process study does (every stage seeds itself from the study's seeds, not from what ran before it), so the
/// merged table is the local study's. Rows and models keep the order of the methods.
/// </summary>
public static class StudyShardMerge
{
    /// <summary>Merges the <paramref name="shardCount"/> shards of <paramref name="runFolder"/>; writes study.json and study.md there.</summary>
    public static async Task<StudyResults> MergeAsync(string runFolder, int shardCount, CancellationToken cancellationToken)
    {
        var missing = ShardFiles.Missing(runFolder, shardCount);
        if (missing.Count > 0)
        {
            throw new InvalidDataException(ShardFiles.MissingMessage(runFolder, shardCount, missing));
        }

        var shards = new List<StudyResults>(shardCount);
        for (var i = 0; i < shardCount; i++)
        {
            var path = ShardFiles.ResultPath(runFolder, i);
            var shard = await StageResultFile.ReadJsonAsync<StudyResults>(path, WorkflowJson.Options, r => r.Rows.Length > 0 && r.Settings.Methods.Count == 1, cancellationToken);
            if (shards.Count > 0 && (SharedSettings(shard) != SharedSettings(shards[0]) || shard.ConfigHash != shards[0].ConfigHash))
            {
                throw new InvalidDataException($"{path}: belongs to another study than shard 0 (its settings or config differ beyond the method)");
            }

            shards.Add(shard);
        }

        var first = shards[0];
        var merged = first with
        {
            RunId = RunFolder.IdOf(runFolder),
            Folder = runFolder,
            StartedUtc = shards.Min(s => s.StartedUtc),
            FinishedUtc = shards.Max(s => s.FinishedUtc),
            Host = string.Join(",", shards.Select(s => s.Host).Distinct(StringComparer.Ordinal)),
            Settings = first.Settings with { Methods = [.. shards.Select(s => s.Settings.Methods[0])] },
            Models = [.. shards.SelectMany(s => s.Models)],
            Rows = [.. shards.SelectMany(s => s.Rows)],
            StageSeconds = shards.SelectMany(s => s.StageSeconds).ToImmutableDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
        await AtomicFile.WriteAllTextAsync(Path.Combine(runFolder, Study.MarkdownFile), Study.Markdown(merged), cancellationToken);
        await AtomicFile.WriteAllTextAsync(Path.Combine(runFolder, Study.JsonFile), JsonSerializer.Serialize(merged, WorkflowJson.Options), cancellationToken);
        return merged;
    }

    // Settings as text without the method list: records holding lists compare lists by reference.
    private static string SharedSettings(StudyResults r) => JsonSerializer.Serialize(r.Settings with { Methods = [] }, WorkflowJson.Options);
}

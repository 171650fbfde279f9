using System.Collections.Immutable;
using System.Text.Json;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// Merges the study shards of a run folder, one per (method, training seed), shard i = method i / seeds, seed i % seeds:
/// each trained and evaluated its cell exactly as the single-process study does (every stage seeds itself from the
/// study's seeds, not from what ran before it), so the merged table is the local study's. Rows and models keep the
/// local order (method-major, then seed), and the across-seed table is computed again from the merged rows.
/// </summary>
public static class StudyShardMerge
{
    /// <summary>Merges the <paramref name="shardCount"/> shards of <paramref name="runFolder"/>; writes study.json, study.md and study.html there.</summary>
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
            var shard = await StageResultFile.ReadJsonAsync<StudyResults>(path, WorkflowJson.Options, r => r.Rows.Length > 0 && r.Settings.Methods.Count == 1 && r.Settings.Seeds.Train.Count == 1, cancellationToken);
            if (shards.Count > 0 && (SharedSettings(shard) != SharedSettings(shards[0]) || shard.ConfigHash != shards[0].ConfigHash))
            {
                throw new InvalidDataException($"{path}: belongs to another study than shard 0 (its settings or config differ beyond the method and training seed)");
            }

            shards.Add(shard);
        }

        var first = shards[0];
        var methods = shards.Select(s => s.Settings.Methods[0]).Distinct(StringComparer.Ordinal).ToList();
        var seeds = shards.Select(s => s.Settings.Seeds.Train[0]).Distinct().ToList();
        if (methods.Count * seeds.Count != shardCount)
        {
            throw new InvalidDataException($"{runFolder}: {shardCount} shards hold {methods.Count} method(s) × {seeds.Count} seed(s); a study has one shard per (method, seed)");
        }

        var models = shards.SelectMany(s => s.Models).ToList();
        var rows = shards.SelectMany(s => s.Rows).ToList();
        var merged = first with
        {
            RunId = RunFolder.IdOf(runFolder),
            Folder = runFolder,
            StartedUtc = shards.Min(s => s.StartedUtc),
            FinishedUtc = shards.Max(s => s.FinishedUtc),
            Host = string.Join(",", shards.Select(s => s.Host).Distinct(StringComparer.Ordinal)),
            Settings = first.Settings with { Methods = methods, Seeds = first.Settings.Seeds with { Train = seeds } },
            Models = [.. models],
            Rows = [.. rows],
            Aggregate = StudyAggregation.Aggregate(models, rows, first.Settings.WorstCaseKs),
            StageSeconds = shards.SelectMany(s => s.StageSeconds).ToImmutableDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
        await Study.WriteFilesAsync(merged, runFolder, cancellationToken);
        return merged;
    }

    // Settings as text without the method and seed lists: records holding lists compare lists by reference.
    private static string SharedSettings(StudyResults r) => JsonSerializer.Serialize(r.Settings with { Methods = [], Seeds = r.Settings.Seeds with { Train = [] } }, WorkflowJson.Options);
}

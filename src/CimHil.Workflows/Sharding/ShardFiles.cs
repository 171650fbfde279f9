using System.Globalization;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// Where shards leave their results in a run folder, whatever the command: <c>shards/shard-I.json</c>, written
/// atomically when the shard has finished, so a file there is a finished shard.
/// </summary>
public static class ShardFiles
{
    /// <summary>Path of shard <paramref name="shard"/>'s result file.</summary>
    public static string ResultPath(string runFolder, int shard) => ResultPath(runFolder, shard.ToString(CultureInfo.InvariantCulture));

    /// <summary>As above, for a shard index given as text (a script's placeholder for the array task id).</summary>
    public static string ResultPath(string runFolder, string shard) => Path.Combine(runFolder, "shards", $"shard-{shard}.json");

    /// <summary>Path of shard <paramref name="shard"/>'s own folder (Δ files of a worst-case shard).</summary>
    public static string FolderPath(string runFolder, string shard) => Path.Combine(runFolder, "shards", $"shard-{shard}");

    /// <summary>Shards with no result file.</summary>
    public static IReadOnlyList<int> Missing(string runFolder, int shardCount) =>
        Enumerable.Range(0, shardCount).Where(i => !File.Exists(ResultPath(runFolder, i))).ToArray();

    /// <summary>The message for shards that left no result.</summary>
    public static string MissingMessage(string runFolder, int shardCount, IReadOnlyList<int> missing) =>
        $"{runFolder}: shard{(missing.Count > 1 ? "s" : string.Empty)} {string.Join(", ", missing)} of {shardCount} left no result (see logs/shard-I.out); `cimhil slurm resume {runFolder}` runs only those again";
}

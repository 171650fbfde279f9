using System.Globalization;

namespace CimHil.Workflows.Sharding;

/// <summary>
/// Merges the worst-case shards of a run folder. Every shard sweeps all bounds (each bound's search starts from the
/// previous bound's Δ, so splitting the bounds would weaken it); shard 0 with the run's seed, which is exactly the
/// single-process search, the others with their own random restarts. Per bound the merge keeps the most harmful Δ of
/// all shards, and a smaller bound's Δ where that is more harmful still: the merged curve equals or beats one process.
/// </summary>
public static class WorstCaseShardMerge
{
    /// <summary>The folder of the merged Δ files in the run folder.</summary>
    public const string DeltaFolder = "worst-case";

    /// <summary>Merges the <paramref name="shardCount"/> shards of <paramref name="runFolder"/>; copies the chosen Δ files.</summary>
    public static async Task<WorstCaseResultFile> MergeAsync(string runFolder, int shardCount, CancellationToken cancellationToken)
    {
        var missing = ShardFiles.Missing(runFolder, shardCount);
        if (missing.Count > 0)
        {
            throw new InvalidDataException(ShardFiles.MissingMessage(runFolder, shardCount, missing));
        }

        var shards = new List<WorstCaseResultFile>(shardCount);
        for (var i = 0; i < shardCount; i++)
        {
            var path = ShardFiles.ResultPath(runFolder, i);
            var shard = await WorstCaseResultFile.LoadAsync(path, cancellationToken);
            if (shards.Count > 0 && shard.Run != shards[0].Run)
            {
                throw new InvalidDataException($"{path}: belongs to another run than shard 0 ({shard.Run.Architecture}, {shard.Run.Bound}, k {shard.Run.Ks}, seed {shard.Run.Seed} against {shards[0].Run.Architecture}, {shards[0].Run.Bound}, k {shards[0].Run.Ks}, seed {shards[0].Run.Seed})");
            }

            shards.Add(shard);
        }

        var deltas = Path.Combine(runFolder, DeltaFolder);
        Directory.CreateDirectory(deltas);
        var points = new List<WorstCasePointFile>();
        WorstCasePointFile? smaller = null;
        for (var p = 0; p < shards[0].Points.Count; p++)
        {
            // Most harmful Δ of all shards at this bound; ties go to the lowest shard (shard 0 is the single process).
            var best = Enumerable.Range(0, shardCount)
                .Select(s => (Shard: s, Point: shards[s].Points[p]))
                .OrderBy(x => x.Point.Accuracy).ThenBy(x => x.Shard).First();
            var chosen = best.Point with { Shard = best.Shard };
            var source = chosen.Perturbation is { } rel ? Path.Combine(Path.GetDirectoryName(ShardFiles.ResultPath(runFolder, best.Shard))!, rel) : null;
            if (smaller is not null && smaller.Accuracy < chosen.Accuracy)
            {
                chosen = smaller with { K = chosen.K, FromSmallerBound = true };
                source = smaller.Perturbation is { } srel ? Path.Combine(runFolder, srel) : null;
            }

            string? target = null;
            if (source is not null)
            {
                target = Path.Combine(DeltaFolder, WorstCaseEvaluation.FileName(chosen.K));
                File.Copy(source, Path.Combine(runFolder, target), overwrite: true);
            }

            chosen = chosen with { Perturbation = target };
            points.Add(chosen);
            smaller = chosen;
        }

        return new WorstCaseResultFile
        {
            Run = shards[0].Run,
            Points = points,
            MonteCarlo = shards[0].MonteCarlo,
        };
    }

    /// <summary>The search seed of shard <paramref name="shard"/>: the run's own for shard 0, a derived stream for the others.</summary>
    public static long SearchSeed(long seed, int shard) =>
        shard == 0 ? seed : unchecked((long)CimHil.Simulation.Variation.SimulationRng.Derive(seed, shard, 0x5EA4C4));

    /// <summary>The k list as identity text.</summary>
    public static string KsText(IEnumerable<double> ks) => string.Join(',', ks.Select(k => k.ToString("R", CultureInfo.InvariantCulture)));
}

using System.Text.Json;

namespace CimHil.Workflows;

/// <summary>
/// The seeds of a study. Training seeds are a dimension: every method is trained and judged once per seed, so the table
/// can put an interval across training runs on every number. Each training seed s also fixes its evaluation: the
/// Monte-Carlo chips and the worst-case restarts of seed s use <see cref="MonteCarloFor"/> and <see cref="WorstCaseFor"/>,
/// the configured base plus s. All methods of one seed therefore meet the same chips and the same search start (the
/// pairing of the paired t-test), and the seeds differ in their chips too, so the interval covers chip sampling as well.
/// </summary>
/// <param name="Train">Trainer seeds (also the model-zoo initialisation), in table order; distinct.</param>
/// <param name="MonteCarlo">Base of the Monte-Carlo chip seeds.</param>
/// <param name="WorstCase">Base of the worst-case search seeds (random restarts, polish).</param>
public sealed record StudySeeds(IReadOnlyList<int> Train, long MonteCarlo, long WorstCase)
{
    /// <summary>The default training seeds: three, the fewest that give a Student-t interval with two degrees of freedom.</summary>
    public static IReadOnlyList<int> DefaultTrain { get; } = [1, 2, 3];

    /// <summary>The Monte-Carlo seed of training seed <paramref name="trainSeed"/>: base + s.</summary>
    public long MonteCarloFor(int trainSeed) => unchecked(MonteCarlo + trainSeed);

    /// <summary>The worst-case search seed of training seed <paramref name="trainSeed"/>: base + s.</summary>
    public long WorstCaseFor(int trainSeed) => unchecked(WorstCase + trainSeed);

    /// <summary>
    /// <c>seeds.train</c>: one whole number ≥ 0 or a non-empty array of distinct ones; default <see cref="DefaultTrain"/>.
    /// Errors carry the JSON path (with the array index).
    /// </summary>
    public static IReadOnlyList<int> ParseTrain(JsonSection seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (!seeds.Has("train"))
        {
            return DefaultTrain;
        }

        if (seeds.Element.GetProperty("train").ValueKind != JsonValueKind.Array)
        {
            return [seeds.Int("train", 0, null)];
        }

        var list = new List<int>();
        var i = 0;
        foreach (var item in seeds.Element.GetProperty("train").EnumerateArray())
        {
            var at = $"{seeds.PathOf("train")}[{i}]";
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var seed) || seed < 0)
            {
                throw new ConfigException(at, $"expected a whole number ≥ 0, found {item.GetRawText()}");
            }

            list.Add(!list.Contains(seed) ? seed : throw new ConfigException(at, $"seed {seed} is listed twice"));
            i++;
        }

        return list.Count > 0 ? list : throw seeds.Error("train", "needs at least one seed");
    }
}

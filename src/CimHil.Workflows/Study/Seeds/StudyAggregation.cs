using System.Collections.Immutable;
using System.Globalization;
using CimHil.Simulation.Robustness;

namespace CimHil.Workflows;

/// <summary>
/// Folds the per-seed rows of a study into one row per method and variation model (<see cref="SeedStatistics"/>): every
/// column's mean and interval across seeds, and each method's paired difference from standard training of the same seed.
/// </summary>
public static class StudyAggregation
{
    public const string Float = "float";
    public const string Clean = "clean";
    public const string MonteCarloMean = "mcMean";
    public const string MonteCarloPercentile = "mcPercentile";
    public const string CleanWorstCaseImages = "cleanWorstCaseImages";

    /// <summary>The name of the worst-case column at bound <paramref name="k"/>.</summary>
    public static string WorstCase(double k) => "worst k=" + k.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The columns of the table in order, for worst-case bounds <paramref name="ks"/>.</summary>
    public static IReadOnlyList<string> ColumnNames(IReadOnlyList<double> ks)
    {
        ArgumentNullException.ThrowIfNull(ks);
        return [Float, Clean, MonteCarloMean, MonteCarloPercentile, CleanWorstCaseImages, .. ks.Select(WorstCase)];
    }

    /// <summary>The aggregated rows of <paramref name="rows"/>, in the order their (method, model) first appears.</summary>
    public static ImmutableArray<StudyAggregateRow> Aggregate(IReadOnlyList<StudyModel> models, IReadOnlyList<StudyRow> rows, IReadOnlyList<double> ks)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(rows);
        var names = ColumnNames(ks);
        double Value(StudyRow r, string column) => column switch
        {
            Float => models.First(m => m.Method == r.Method && m.Seed == r.Seed).FloatAccuracy,
            Clean => r.MonteCarlo.CleanAccuracy,
            MonteCarloMean => r.MonteCarlo.Mean,
            MonteCarloPercentile => r.MonteCarlo.Percentile,
            CleanWorstCaseImages => r.WorstCase.CleanAccuracy,
            _ => r.WorstCase.Points.FirstOrDefault(p => WorstCase(p.K) == column)?.Accuracy ?? double.NaN,
        };

        var groups = rows.GroupBy(r => (r.Method, r.Model)).ToList();
        var result = ImmutableArray.CreateBuilder<StudyAggregateRow>(groups.Count);
        foreach (var g in groups)
        {
            var seeds = g.Select(r => r.Seed).ToImmutableArray();
            var baseline = g.Key.Method == RobustnessMethods.Standard ? null : groups.FirstOrDefault(b => b.Key == (RobustnessMethods.Standard, g.Key.Model));

            // Pairs exist only where standard ran with exactly these seeds (a sharded study always has them all).
            var paired = baseline is not null && baseline.Select(r => r.Seed).SequenceEqual(seeds) ? baseline.ToList() : null;
            // Every column is an accuracy, a fraction in [0, 1]: interval ends beyond it are clipped (SeedInterval.ClippedTo).
            var columns = names.Select(c => new StudyColumn(
                c,
                SeedStatistics.Interval([.. g.Select(r => Value(r, c))]).ClippedTo(0, 1),
                paired is null ? null : SeedStatistics.Paired([.. g.Select(r => Value(r, c))], [.. paired.Select(r => Value(r, c))])));
            result.Add(new StudyAggregateRow(g.Key.Method, g.Key.Model, seeds, [.. columns]));
        }

        return result.MoveToImmutable();
    }
}

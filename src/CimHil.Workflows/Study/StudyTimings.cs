using System.Globalization;
using System.Text;

namespace CimHil.Workflows;

/// <summary>
/// study.md's "Time" section: the study's wall time and, per method and seed, the training time, epochs and seconds per
/// epoch, and the Monte-Carlo and worst-case stage times — what docs/robustness.md §6 estimates a default study from.
/// </summary>
public static class StudyTimings
{
    /// <summary>The section: heading, wall time with its training and evaluation parts, one line per method and seed.</summary>
    public static string Markdown(StudyResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        var wall = results.FinishedUtc - results.StartedUtc;
        double Stage(string name) => results.StageSeconds.TryGetValue(name, out var s) ? s : double.NaN;
        var training = results.Models.Sum(m => m.TrainSeconds);
        var evaluation = results.StageSeconds.Where(kv => !kv.Key.StartsWith("train ", StringComparison.Ordinal)).Sum(kv => kv.Value);
        sb.AppendLine("## Time");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Wall time {Duration(wall.TotalSeconds)} ({results.StartedUtc:yyyy-MM-dd HH:mm:ss} to {results.FinishedUtc:HH:mm:ss} UTC, host {results.Host}): training {Duration(training)}, Monte-Carlo and worst-case evaluation {Duration(evaluation)}.");
        sb.AppendLine();
        // A list, not a table: study.md's table lines ('|') are the study's numbers, which reruns and Slurm merges compare
        // line by line (StudyCommandTests, StudyOnSlurmTests); timings differ from run to run.
        sb.AppendLine("Per method and seed (Monte-Carlo and worst case: calibrated / gaussian):");
        sb.AppendLine();
        foreach (var m in results.Models)
        {
            var epochs = m.EpochsRun > 0 ? m.EpochsRun.ToString(CultureInfo.InvariantCulture) : "?";
            var trained = m.Cached ? $"cached ({epochs} epochs)" : m.EpochsRun > 0 ? $"{F(m.TrainSeconds)} s ({epochs} epochs, {F(m.TrainSeconds / m.EpochsRun)} s per epoch)" : $"{F(m.TrainSeconds)} s";
            var mc = $"{F(Stage($"monte-carlo {m.Method}/calibrated seed {m.Seed}"))} / {F(Stage($"monte-carlo {m.Method}/gaussian seed {m.Seed}"))} s";
            var wc = $"{F(Stage($"worst-case {m.Method}/calibrated seed {m.Seed}"))} / {F(Stage($"worst-case {m.Method}/gaussian seed {m.Seed}"))} s";
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {m.Method} seed {m.Seed}: training {trained}; Monte-Carlo {mc}; worst case {wc}");
        }

        return sb.ToString();
    }

    /// <summary>"1 h 02 min 05 s", "12 min 34 s" or "45 s".</summary>
    public static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds))
        {
            return "-";
        }

        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours} h {t.Minutes:00} min {t.Seconds:00} s")
            : t.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{t.Minutes} min {t.Seconds:00} s")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Seconds} s");
    }

    private static string F(double seconds) => double.IsFinite(seconds) ? seconds.ToString("F1", CultureInfo.InvariantCulture) : "-";
}

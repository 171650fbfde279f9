using System.Collections.Immutable;
using CimHil.Reporting;

namespace CimHil.Workflows;

/// <summary>study.html: the study's aggregated table and per-method figures, handed to <see cref="StudyReportWriter"/>.</summary>
public static class StudyPage
{
    /// <summary>The page of <paramref name="results"/>.</summary>
    public static StudyReport Of(StudyResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var s = results.Settings;
        var ks = s.WorstCaseKs;
        var methods = results.Rows.Select(r => r.Method).Distinct(StringComparer.Ordinal).Select(method => new StudyMethodFigures(
            method,
            [.. results.Rows.Where(r => r.Method == method).GroupBy(r => r.Model).Select(g => new StudyModelFigures(
                g.Key,
                [.. g.SelectMany(r => r.MonteCarlo.ChipAccuracies)],
                [.. ks.Select(k => Band(k, [.. g.Select(r => r.WorstCase.Points.FirstOrDefault(p => p.K == k)?.Accuracy ?? double.NaN)]))]))]));
        return new StudyReport
        {
            Title = $"Robustness study {results.RunId}",
            Summary = StudyTable.Summary(s),
            Columns = ["method", "variation model", "seeds", .. StudyTable.Headers(s)],
            Rows = [.. results.Aggregate.Select(a => ImmutableArray.Create<string>([a.Method, a.Model, a.Seeds.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), .. a.Columns.Select(StudyTable.Cell)]))],
            Notes = [StudyTable.StatisticsNote(s), $"Every per-seed number is in {Study.JsonFile} and {Study.MarkdownFile}."],
            Methods = [.. methods],
            Provenance = new ReportProvenance { RunId = results.RunId, StartedUtc = results.StartedUtc, FinishedUtc = results.FinishedUtc },
        };
    }

    /// <summary>Writes the page of <paramref name="results"/> to <paramref name="path"/>.</summary>
    public static Task WriteAsync(StudyResults results, string path, CancellationToken ct) => StudyReportWriter.WriteAsync(Of(results), path, ct);

    private static StudyWorstCaseBand Band(double k, IReadOnlyList<double> accuracies)
    {
        var i = SeedStatistics.Interval(accuracies);
        return new StudyWorstCaseBand(k, i.Mean, i.Low, i.High, accuracies.Min(), accuracies.Max());
    }
}

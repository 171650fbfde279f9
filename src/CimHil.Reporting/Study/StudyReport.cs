using System.Collections.Immutable;

namespace CimHil.Reporting;

/// <summary>What study.html shows: the aggregated table as text cells, and per method its Monte-Carlo and worst-case figures.</summary>
public sealed record StudyReport
{
    public required string Title { get; init; }

    /// <summary>One paragraph under the title: network, data, settings, seeds.</summary>
    public string? Summary { get; init; }

    /// <summary>Column headers of the aggregated table.</summary>
    public required ImmutableArray<string> Columns { get; init; }

    /// <summary>Rows of the aggregated table, plain text (escaped when written).</summary>
    public required ImmutableArray<ImmutableArray<string>> Rows { get; init; }

    /// <summary>Paragraphs under the table: what the cells and marks mean.</summary>
    public ImmutableArray<string> Notes { get; init; } = [];

    /// <summary>The figures of each method, in table order.</summary>
    public required ImmutableArray<StudyMethodFigures> Methods { get; init; }

    /// <summary>Run id and start, shown under the title.</summary>
    public ReportProvenance? Provenance { get; init; }
}

using System.Collections.Immutable;
using System.Globalization;
using CimHil.Reporting;

namespace CimHil.Workflows;

/// <summary>What report.html says about the store a run was made from (<see cref="SourceStore"/>): provenance rows and the imports table.</summary>
internal static class SourceStoreReport
{
    /// <summary>The provenance rows: the store's path and SHA-256, its own run id and what it holds; none for a run on a chip.</summary>
    public static ImmutableArray<KeyValuePair<string, string>> Provenance(SourceStore? source) => source is null
        ? []
        : [
            new("measurement store", source.Path),
            new("measurement store SHA-256", source.Sha256),
            new("store run id", source.StoreRunId),
            new("store contents", string.Join(", ", source.Procedures.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {p.Value} records")))),
            new("imports", source.Imports.Length.ToString(CultureInfo.InvariantCulture)),
        ];

    /// <summary>
    /// A section saying the run characterised nothing, with one table row per imported file (when, kind, procedure, file,
    /// SHA-256, rows stored and skipped) and each import's mapping, so a reader can trace every number to its source file.
    /// </summary>
    public static ImmutableArray<ReportSection> Sections(SourceStore? source)
    {
        if (source is null)
        {
            return [];
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"This run characterised no chip: it calibrated from the {source.Measurements} measurements of the store {source.Path} (SHA-256 {source.Sha256}), which says they were taken on {source.Chip} by '{source.Driver}'.");
        if (source.Imports.IsEmpty)
        {
            return [new ReportSection { Title = "Measurements from a store", Text = text + " The store holds no imports: it was written by a characterisation." }];
        }

        var rows = source.Imports
            .SelectMany(i => i.Files.Select(f => ImmutableArray.Create(
                i.ImportId.ToString(CultureInfo.InvariantCulture),
                i.ImportedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                i.Kind,
                i.Procedure,
                f.Name,
                f.Sha256,
                f.Rows.ToString(CultureInfo.InvariantCulture),
                f.SkippedRows.ToString(CultureInfo.InvariantCulture))))
            .ToImmutableArray();
        var mappings = string.Join("\n\n", source.Imports.Select(i => string.Create(CultureInfo.InvariantCulture, $"Mapping of import {i.ImportId} ({i.Records} records): {i.MappingJson}")));
        return
        [
            new ReportSection
            {
                Title = "Measurements from a store: imported data",
                Text = text + "\n\n" + mappings,
                Table = new ReportTable(["import", "imported (UTC)", "kind", "procedure", "file", "SHA-256", "rows", "skipped rows"], rows),
            },
        ];
    }
}

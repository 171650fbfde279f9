using CimHil.Core.Config;

namespace CimHil.Characterization.Import;

/// <summary>
/// Where one field of an event comes from: a column of a delimited file (by header name or 0-based index) or an HDF5
/// dataset (by path), with its unit when the field has one.
/// </summary>
public sealed record FieldSpec
{
    public required string JsonPath { get; init; }

    public string? ColumnName { get; init; }

    public int? ColumnIndex { get; init; }

    public string? Dataset { get; init; }

    public ImportUnit? Unit { get; init; }

    /// <summary>How the source is named in an error message.</summary>
    public string Describe() => Dataset ?? ColumnName ?? $"#{ColumnIndex}";

    internal static FieldSpec Parse(JsonSection s, Dimension[]? dimensions)
    {
        s.AllowOnly(dimensions is null ? ["column", "dataset"] : ["column", "dataset", "unit"]);
        var hasColumn = s.Has("column");
        if (hasColumn == s.Has("dataset"))
        {
            throw s.Error("give exactly one of 'column' (delimited text) or 'dataset' (HDF5)");
        }

        string? name = null;
        int? index = null;
        if (hasColumn)
        {
            var c = s.Element.GetProperty("column");
            if (c.ValueKind == System.Text.Json.JsonValueKind.Number)
            {
                index = s.Int("column", 0, 100_000);
            }
            else
            {
                name = s.String("column");
            }
        }

        return new FieldSpec
        {
            JsonPath = s.Path,
            ColumnName = name,
            ColumnIndex = index,
            Dataset = hasColumn ? null : s.String("dataset"),
            Unit = dimensions is null ? null : ImportUnit.Parse(s.String("unit"), s.PathOf("unit"), dimensions),
        };
    }
}

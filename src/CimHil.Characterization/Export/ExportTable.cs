namespace CimHil.Characterization.Export;

/// <summary>One table of the export: its columns and its rows (values in column order, null where unknown).</summary>
public sealed record ExportTable(string Name, IReadOnlyList<ExportColumn> Columns, IReadOnlyList<object?[]> Rows);

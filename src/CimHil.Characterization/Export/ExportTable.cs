namespace CimHil.Characterization.Export;

/// <summary>How an exported column is typed: CSV writes every type as text, HDF5 picks a dataset type from it.</summary>
public enum ExportType
{
    /// <summary>Text (HDF5: variable-length UTF-8 string; null is the empty string).</summary>
    Text,

    /// <summary>A whole number never null (HDF5: int64).</summary>
    Integer,

    /// <summary>A number that may be null (HDF5: float64, null is NaN; CSV: empty).</summary>
    Real,
}

/// <summary>One column of the export schema: the same name in the store, the CSV header and the HDF5 dataset.</summary>
public sealed record ExportColumn(string Name, ExportType Type, string Description);

/// <summary>One table of the export: its columns and its rows (values in column order, null where unknown).</summary>
public sealed record ExportTable(string Name, IReadOnlyList<ExportColumn> Columns, IReadOnlyList<object?[]> Rows);

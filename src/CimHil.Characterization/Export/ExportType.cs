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

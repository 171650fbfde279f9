namespace CimHil.Characterization.Export;

/// <summary>One column of the export schema: the same name in the store, the CSV header and the HDF5 dataset.</summary>
public sealed record ExportColumn(string Name, ExportType Type, string Description);

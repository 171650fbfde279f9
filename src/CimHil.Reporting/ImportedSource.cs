namespace CimHil.Reporting;

/// <summary>One imported file behind a calibration: the import it came in with, its SHA-256, rows stored and skipped, the mapping used.</summary>
public sealed record ImportedSource(DateTimeOffset ImportedUtc, string Kind, string Procedure, string File, string Sha256, int Rows, int SkippedRows, string MappingJson);

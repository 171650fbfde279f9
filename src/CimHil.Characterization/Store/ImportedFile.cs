namespace CimHil.Characterization.Store;

/// <summary>A source file of an import: its name, SHA-256 and how many of its rows were stored or skipped.</summary>
public sealed record ImportedFile(string Name, string Sha256, int Rows, int SkippedRows);

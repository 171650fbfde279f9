namespace CimHil.Characterization.Store;

/// <summary>One import as the store records it.</summary>
public sealed record ImportRecord(long ImportId, DateTimeOffset ImportedUtc, string Kind, string Procedure, string MappingJson, IReadOnlyList<ImportedFile> Files, long Records, IReadOnlyList<string> SkippedRows);

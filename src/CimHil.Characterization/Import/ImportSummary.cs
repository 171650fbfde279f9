using CimHil.Characterization.Store;

namespace CimHil.Characterization.Import;

/// <summary>What an import stored: where, as which procedure, from which files, and every row it skipped (file:line:column: reason).</summary>
public sealed record ImportSummary(
    string Store,
    bool CreatedStore,
    string Kind,
    string Procedure,
    IReadOnlyList<ImportedFile> Files,
    int Records,
    int Units,
    IReadOnlyList<string> SkippedRows);

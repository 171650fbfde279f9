namespace CimHil.Characterization.Store;

/// <summary>A source file of an import: its name, SHA-256 and how many of its rows were stored or skipped.</summary>
public sealed record ImportedFile(string Name, string Sha256, int Rows, int SkippedRows);

/// <summary>Where an imported record came from and what the store's measurement columns cannot hold.</summary>
public sealed record ImportAnnotation
{
    public required RecordKey Key { get; init; }

    public required string SourceFile { get; init; }

    public required int SourceLine { get; init; }

    public string? Phase { get; init; }

    public double? TemperatureK { get; init; }

    public int? Cycle { get; init; }

    public int? Repeat { get; init; }

    public bool? Verified { get; init; }

    public int? SetPulses { get; init; }

    public int? ResetPulses { get; init; }

    public int? Level { get; init; }

    public double? WindowLowS { get; init; }

    public double? WindowHighS { get; init; }
}

/// <summary>Everything one import writes, in one transaction: the procedure, its records, the plan that now describes the store, and the provenance.</summary>
public sealed record StoreImport
{
    public required string Procedure { get; init; }

    public required string ParametersJson { get; init; }

    /// <summary>The run's plan with the imported procedure's section, so calibration reads parameters that fit the data.</summary>
    public required string PlanJson { get; init; }

    public required IReadOnlyList<Measurement> Measurements { get; init; }

    public required IReadOnlyList<UnitResult> Units { get; init; }

    public required IReadOnlyList<ImportAnnotation> Annotations { get; init; }

    public required string Kind { get; init; }

    public required string MappingJson { get; init; }

    public required IReadOnlyList<ImportedFile> Files { get; init; }

    /// <summary>file:line:column: reason of every row skipped under --skip-bad-rows.</summary>
    public required IReadOnlyList<string> SkippedRows { get; init; }

    public required DateTimeOffset ImportedUtc { get; init; }
}

/// <summary>One import as the store records it.</summary>
public sealed record ImportRecord(long ImportId, DateTimeOffset ImportedUtc, string Kind, string Procedure, string MappingJson, IReadOnlyList<ImportedFile> Files, long Records, IReadOnlyList<string> SkippedRows);

namespace CimHil.Characterization.Store;

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

namespace CimHil.Workflows;

/// <summary>One column of the aggregated study table: its value across seeds and its difference from standard training.</summary>
/// <param name="Name">Column name (<see cref="StudyAggregation.ColumnNames"/>).</param>
/// <param name="Value">Mean and 95 % interval across seeds.</param>
/// <param name="VersusStandard">Paired test against standard training of the same seeds and variation model; null for standard itself or a study without it.</param>
public sealed record StudyColumn(string Name, SeedInterval Value, PairedComparison? VersusStandard);

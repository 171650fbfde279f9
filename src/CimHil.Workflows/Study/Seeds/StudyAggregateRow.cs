using System.Collections.Immutable;

namespace CimHil.Workflows;

/// <summary>One row of the aggregated study table: a method under one variation model, over all its seeds.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Model">"calibrated" or "gaussian".</param>
/// <param name="Seeds">The training seeds aggregated, in table order.</param>
/// <param name="Columns">The columns in <see cref="StudyAggregation.ColumnNames"/> order.</param>
public sealed record StudyAggregateRow(string Method, string Model, ImmutableArray<int> Seeds, ImmutableArray<StudyColumn> Columns)
{
    /// <summary>The column named <paramref name="name"/>.</summary>
    public StudyColumn Column(string name) => Columns.FirstOrDefault(c => c.Name == name)
        ?? throw new KeyNotFoundException($"the study table has no column '{name}'; it has {string.Join(", ", Columns.Select(c => c.Name))}");
}

using System.Collections.Immutable;

namespace CimHil.Core.Devices;

/// <summary>
/// Relaxation/retention from repeated reads of the same cells: per level, the shift and the growth of the spread between
/// two phases (e.g. pre-bake → post-bake, or the first and last read time), and the trajectory over every read time,
/// with the conditions it was measured at (schema 1, optional).
/// </summary>
public sealed record RelaxationModel
{
    /// <summary>Phase label (or <c>t = …</c>) of the "before" reads.</summary>
    public required string Before { get; init; }

    public required string After { get; init; }

    /// <summary>Median time since programming of the before and after reads.</summary>
    public double? BeforeElapsedSeconds { get; init; }

    public double? AfterElapsedSeconds { get; init; }

    /// <summary>AfterElapsedSeconds − BeforeElapsedSeconds: how long the relaxation (or bake) lasted.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Median temperature of the before and after reads, where the data gives one.</summary>
    public double? BeforeTemperatureK { get; init; }

    public double? AfterTemperatureK { get; init; }

    public ImmutableArray<LevelRelaxation> Levels { get; init; } = [];

    public ImmutableArray<RelaxationPoint> OverTime { get; init; } = [];
}

namespace CimHil.Core.Devices;

/// <summary>
/// Relaxation of one level between two phases (or the first and last read time) on the same cells: the mean shift,
/// the spread before and after, and the spread the relaxation added (schema 1, optional).
/// </summary>
public sealed record LevelRelaxation
{
    public required double TargetS { get; init; }

    public required int Cells { get; init; }

    public required double MeanBeforeS { get; init; }

    public required double MeanAfterS { get; init; }

    /// <summary>Mean over cells of (after − before), paired by cell.</summary>
    public required double MeanShiftS { get; init; }

    public Interval? MeanShiftIntervalS { get; init; }

    public required double SigmaBeforeS { get; init; }

    public required double SigmaAfterS { get; init; }

    /// <summary>√max(0, σ_after² − σ_before²): the spread relaxation added.</summary>
    public required double SigmaGrowthS { get; init; }

    public Interval? SigmaGrowthIntervalS { get; init; }

    /// <summary>σ over cells of the paired change (after − before).</summary>
    public required double ChangeSigmaS { get; init; }
}

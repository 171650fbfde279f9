namespace CimHil.Core.Devices;

/// <summary>
/// How the cells of one level fared before any spread was fitted: how many were programmed, how many never verified
/// (excluded from the spread and counted here), and how many verified but are robust outliers (excluded and counted).
/// </summary>
public sealed record LevelVerification
{
    public required int Attempted { get; init; }

    public required int Failed { get; init; }

    public required double FailureRate { get; init; }

    public Interval? FailureRateInterval { get; init; }

    public required int Outliers { get; init; }

    /// <summary>The outlying settled conductances (S), so a report can show them; nothing is silently dropped.</summary>
    public System.Collections.Immutable.ImmutableArray<double> OutlierValuesS { get; init; } = [];

    /// <summary>Verify window of the level, when the data gives one (imported window columns, or target ± plan tolerance).</summary>
    public double? WindowLowS { get; init; }

    public double? WindowHighS { get; init; }
}

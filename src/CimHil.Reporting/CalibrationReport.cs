using CimHil.Core.Devices;

namespace CimHil.Reporting;

/// <summary>
/// What the calibration report shows: the fitted model, the settled conductance of every verified cell per level (the
/// histograms; outliers included, marked by the model's verification counts), and where the data came from.
/// </summary>
public sealed record CalibrationReport
{
    public required string Title { get; init; }

    public required DeviceVariationModel Model { get; init; }

    /// <summary>The model file the report sits beside.</summary>
    public string? ModelPath { get; init; }

    /// <summary>The measurement store the model was fitted from.</summary>
    public string? StorePath { get; init; }

    /// <summary>Per level (by target, S): the settled conductance of each cell that verified.</summary>
    public IReadOnlyList<LevelValues> Levels { get; init; } = [];

    public IReadOnlyList<ImportedSource> Imports { get; init; } = [];
}

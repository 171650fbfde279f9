using CimHil.Calibration;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;
using CimHil.Reporting;

namespace CimHil.Workflows;

/// <summary>
/// The calibration report of a run (issue #16): the same HTML report <c>cimhil calibrate</c> writes beside its model
/// (per-level histograms with the chosen fit, σ(G) with its band, failure rates, outliers, relaxation, provenance of
/// imported data), written beside the run's calibration.json and linked from report.html.
/// </summary>
internal static class RunCalibrationReport
{
    /// <summary>The report's file name in the run folder: calibration.json → calibration.report.html, as <c>cimhil calibrate</c> names it.</summary>
    public static string FileName => Path.GetFileNameWithoutExtension(RunPipeline.CalibrationFile) + ".report.html";

    public static Task WriteAsync(DeviceVariationModel model, string modelPath, MeasurementStore store, string db, string path, CancellationToken ct) =>
        CalibrationReportWriter.WriteAsync(
            new CalibrationReport
            {
                Title = $"Calibration of {model.Name}",
                Model = model,
                ModelPath = modelPath,
                StorePath = db,
                Levels = [.. Calibrator.SettledConductances(store).Select(l => new LevelValues(l.TargetS, l.ValuesS))],
                Imports = [.. store.Imports().SelectMany(i => i.Files.Select(f => new ImportedSource(i.ImportedUtc, i.Kind, i.Procedure, f.Name, f.Sha256, f.Rows, f.SkippedRows, i.MappingJson)))],
            },
            path,
            ct);
}

using CimHil.Calibration;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// <c>cimhil calibrate</c> as a server job: the device-variation model fitted from a run's store, written to the run's
/// calibration.json (where <c>run</c> looks for it). Needs no chip.
/// </summary>
public sealed class CalibrationJob(string folder, int bootstrapSamples, int seed)
{
    public Task<object> RunAsync(OperationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.Run<object>(() =>
        {
            var id = RunFolder.IdOf(folder);
            context.Publish(BenchEventTypes.Stage, new LiveProgress(nameof(StageProgress), new StageProgress("calibrate", 0, 1), null));
            using var store = MeasurementStore.Open(Path.Combine(folder, RunPipeline.DatabaseFile), DateTimeOffset.UtcNow, readOnly: true);
            var model = Calibrator.Fit(store, $"run-{id}", new CalibrationOptions { BootstrapSamples = bootstrapSamples, Seed = seed }, context.Log);
            var path = Path.Combine(folder, RunPipeline.CalibrationFile);
            DeviceModelFile.Save(model, path);
            foreach (var gap in CalibrationGaps.Find(model, store))
            {
                context.Log.Warning("Calibration incomplete: {Gap}", gap);
            }

            context.Publish(BenchEventTypes.Stage, new LiveProgress(nameof(StageProgress), new StageProgress("calibrate", 1, 1), null));
            return new { run = id, calibration = path, model.Name };
        }, context.CancellationToken);
    }
}

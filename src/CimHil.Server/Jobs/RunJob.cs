using CimHil.Characterization;
using CimHil.Characterization.Store;
using CimHil.Core.Config;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// <c>cimhil run</c> as a server job: <see cref="RunPipeline"/> into a run folder, each <see cref="StageProgress"/> (or
/// any record the pipeline reports through it) sent live as it comes. Stop cancels it; starting it again on the same
/// folder resumes it (finished stages kept, characterisation resumed cell by cell). While it characterises, the store's
/// commits go out as <c>stored</c> events (and the chip's layout first), as for a characterisation job, so the page's
/// map fills during a run too.
/// </summary>
public sealed class RunJob(HilConfig config, RunSettings settings, string folder, CharacterizerOptions options)
{
    public async Task<object> RunAsync(OperationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Directory.CreateDirectory(folder);
        var eta = new EtaClock();
        var progress = new SynchronousProgress<StageProgress>(p =>
            context.Publish(BenchEventTypes.Stage, new LiveProgress(p.GetType().Name, p, eta.SecondsLeft(p.Stage, p.Done, p.Total, DateTimeOffset.UtcNow))));
        var runLog = context.Log;
        var chip = context.RequireChip();
        void Watch(MeasurementStore store)
        {
            context.Publish(BenchEventTypes.Stage, new LiveProgress(nameof(LiveChipInfo), LiveChipInfo.Of(chip, store, RunFolder.IdOf(folder)), null));
            store.Stored += (_, batch) =>
            {
                context.Publish(BenchEventTypes.Stored, LiveStored.Of(batch, store.CommittedMark));
                context.Committed();
            };
        }

        return await new RunPipeline(config, settings, runLog, progress) { CharacterizerOptions = options, StoreOpened = Watch }
            .RunAsync(chip, folder, context.CancellationToken).ConfigureAwait(false);
    }
}

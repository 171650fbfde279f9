using CimHil.Characterization;
using CimHil.Characterization.Store;
using CimHil.Core.Config;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// <c>cimhil run</c> as a server job: <see cref="RunPipeline"/> into a run folder, each <see cref="StageProgress"/> (or
/// any record the pipeline reports through it) sent live as it comes. Stop ends it at the next commit while it
/// characterises (as a characterisation job), at once in the later stages; starting it again on the same folder resumes it (finished stages kept, characterisation resumed cell by cell). While it characterises, the store's
/// commits go out as <c>stored</c> events (and the chip's layout first), as for a characterisation job, so the page's
/// map fills during a run too.
/// </summary>
public sealed class RunJob(HilConfig config, RunSettings settings, string folder, CharacterizerOptions options)
{
    private static readonly string CharacteriseStage = RunPipeline.StageNames[0];

    public async Task<object> RunAsync(OperationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Directory.CreateDirectory(folder);

        // As `cimhil run`: one OpenBLAS thread for the run's worst-case stage (RunBlasThreads says why).
        RunBlasThreads.Apply();
        var eta = new EtaClock();
        var progress = new SynchronousProgress<StageProgress>(p =>
        {
            // Characterisation is over once another stage reports: from then on Stop cancels at once again.
            if (context.StopsAtCommit && p.Stage != CharacteriseStage)
            {
                context.CommitsEnded();
            }

            context.Publish(BenchEventTypes.Stage, new LiveProgress(p.GetType().Name, p, eta.SecondsLeft(p.Stage, p.Done, p.Total, DateTimeOffset.UtcNow)));
        });
        var runLog = context.Log;
        var chip = context.RequireChip();
        return await new RunPipeline(config, settings, runLog, progress) { CharacterizerOptions = options, StoreOpened = OnStoreOpened }
            .RunAsync(chip, folder, context.CancellationToken).ConfigureAwait(false);

        void OnStoreOpened(MeasurementStore store)
        {
            // As a characterisation job: while the store takes commits, Stop waits for the next one, so the store holds
            // only whole units and a resume repeats nothing.
            LiveStoreFeed.Follow(context, chip, store, folder);
            context.StopsAtCommit = true;
        }
    }
}

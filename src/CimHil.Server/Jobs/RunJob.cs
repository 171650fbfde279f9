using CimHil.Characterization;
using CimHil.Core.Config;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// <c>cimhil run</c> as a server job: <see cref="RunPipeline"/> into a run folder, each <see cref="StageProgress"/> (or
/// any record the pipeline reports through it) sent live as it comes. Stop cancels it; starting it again on the same
/// folder resumes it (finished stages kept, characterisation resumed cell by cell).
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
        return await new RunPipeline(config, settings, runLog, progress) { CharacterizerOptions = options }
            .RunAsync(context.RequireChip(), folder, context.CancellationToken).ConfigureAwait(false);
    }
}

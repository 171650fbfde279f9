using CimHil.Characterization.Store;
using CimHil.Core.Safety;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// A characterisation's store followed live (a characterisation job, and the characterise stage of a run): the chip's
/// layout first, then every commit as a <c>stored</c> event, each followed by <see cref="OperationContext.Committed"/>
/// (where a requested stop takes effect).
/// </summary>
public static class LiveStoreFeed
{
    public static void Follow(OperationContext context, SafeChip chip, MeasurementStore store, string folder)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(store);
        context.Publish(BenchEventTypes.Stage, new LiveProgress(nameof(LiveChipInfo), LiveChipInfo.Of(chip, store, RunFolder.IdOf(folder)), null));
        store.Stored += (_, batch) =>
        {
            var stored = LiveStored.Of(batch, store.CommittedMark);
            context.Publish(BenchEventTypes.Stored, stored);
            context.Committed(stored);
        };
    }
}

using CimHil.Characterization.Store;
using CimHil.Core.Safety;

namespace CimHil.Server.Jobs;

/// <summary>The first event of a characterisation: what the page needs to lay out the map, and where the store stands.</summary>
public sealed record LiveChipInfo(string Chip, int Rows, int Columns, string Run, int Session, long StoredMeasurements, long StoredUnits)
{
    public static LiveChipInfo Of(SafeChip chip, MeasurementStore store)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(store);
        return new LiveChipInfo(chip.Identity.ToString(), chip.Geometry.Rows, chip.Geometry.Columns, store.Run.RunId, store.Session, store.CommittedMark.Measurements, store.CommittedMark.Units);
    }
}

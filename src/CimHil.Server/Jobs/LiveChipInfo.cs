using CimHil.Characterization.Store;
using CimHil.Core.Safety;

namespace CimHil.Server.Jobs;

/// <summary>
/// The first event of a characterisation: what the page needs to lay out the map, and where the store stands.
/// <see cref="Run"/> is the run folder's id (the operation's <c>run</c>), not the store's own run id (a GUID): the page
/// tells a resume of the run on screen from a new run by it, and once took every resume for a new run.
/// </summary>
public sealed record LiveChipInfo(string Chip, int Rows, int Columns, string Run, int Session, long StoredMeasurements, long StoredUnits)
{
    public static LiveChipInfo Of(SafeChip chip, MeasurementStore store, string run)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(store);
        return new LiveChipInfo(chip.Identity.ToString(), chip.Geometry.Rows, chip.Geometry.Columns, run, store.Session, store.CommittedMark.Measurements, store.CommittedMark.Units);
    }
}

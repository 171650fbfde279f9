using CimHil.Characterization.Store;

namespace CimHil.Characterization;

/// <summary>Counts the units a session commits and reports each procedure's progress.</summary>
internal sealed class SessionProgress(IProgress<CharacterizationProgress>? progress)
{
    private readonly Dictionary<string, int> _doneCount = new(StringComparer.Ordinal);

    public int UnitsThisSession { get; private set; }

    /// <summary>Commits the batch; progress counts the units done before this session plus those committed since.</summary>
    public void Commit(UnitBatch batch, string procedure, int doneAtStart, int total, DateTimeOffset now)
    {
        var units = batch.UnitCount;
        batch.Commit(now);
        UnitsThisSession += units;
        if (progress is not null)
        {
            // Counted, not re-read: re-reading the unit table after every commit would be quadratic in the run size.
            _doneCount[procedure] = _doneCount.GetValueOrDefault(procedure, doneAtStart) + units;
            progress.Report(new CharacterizationProgress(procedure, _doneCount[procedure], total));
        }
    }
}

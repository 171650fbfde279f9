using CimHil.Characterization.Store;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Procedures;

/// <summary>
/// Applies a programming pulse and adds its record to the batch, riding through link faults: when the chip reports an
/// <see cref="UncertainPulseException"/>, the pulse is recorded as uncertain (with whether the driver could show it
/// applied) instead of aborting. It is never repeated blindly: one shown not applied certainly did not reach the cell and
/// is sent again (at most <see cref="MaxSendsWhenNotApplied"/> times); one shown applied is left to the caller's next
/// read, which is the read-back its decision continues from (the verify loop's next block read, the stuck map's row read,
/// the probe reads). One whose outcome stayed unknown (the link was still down when the driver tried to find out) is
/// read back at once (recorded with role <c>readback</c>): that read, retried by the session, either finds the link
/// back or ends the procedure when it stays down past the configured retries — no further pulse is sent into an outage. Forming, whose verdict comes with the reply, is <see cref="FormAsync"/>.
/// </summary>
public static class RecordedPulse
{
    /// <summary>Sends of one pulse that the chip showed not applied, before the last such record is returned.</summary>
    public const int MaxSendsWhenNotApplied = 3;

    /// <summary>Applies <paramref name="pulse"/>; returns its last record (confirmed, or uncertain with its outcome).</summary>
    public static async Task<Measurement> ApplyAsync(
        IChip chip,
        CellAddress cell,
        ProgramPulse pulse,
        Func<RecordKey> nextKey,
        string role,
        double readVoltageV,
        UnitBatch batch,
        CancellationToken cancellationToken,
        double? targetS = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(nextKey);
        ArgumentNullException.ThrowIfNull(batch);
        for (var send = 1; ; send++)
        {
            Measurement record;
            try
            {
                var applied = await chip.ApplyPulseAsync(cell, pulse, cancellationToken).ConfigureAwait(false);
                record = Measurement.FromPulse(nextKey(), role, applied, targetS);
            }
            catch (UncertainPulseException ex)
            {
                record = Measurement.FromUncertainPulse(nextKey(), role, pulse, ex, targetS);
            }

            batch.Add(record);
            if (record.Uncertain == UncertainOutcome.Unknown)
            {
                var back = await chip.ReadCellAsync(cell, readVoltageV, cancellationToken).ConfigureAwait(false);
                batch.Add(Measurement.FromRead(nextKey(), MeasurementRoles.Readback, readVoltageV, back.CurrentA, back.Timestamp, targetS));
            }

            if (record.Uncertain != UncertainOutcome.NotApplied || send >= MaxSendsWhenNotApplied)
            {
                return record;
            }
        }
    }

    /// <summary>
    /// One forming pulse, recorded. When the link leaves its outcome uncertain the pulse is recorded as such, the cell is
    /// read back at <paramref name="readVoltageV"/> (recorded as <c>form-readback</c>) and null is returned: the verdict
    /// (formed or not) came with the lost reply, so the caller tries the same amplitude again, and that reply decides —
    /// on a formed cell a forming pulse under compliance acts as a SET, which the cell survives (Wong et al., Proc. IEEE
    /// 100(6), 2012). With <paramref name="lastTry"/> an uncertain outcome is raised instead, after it is recorded.
    /// </summary>
    public static async Task<FormingResult?> FormAsync(
        IChip chip,
        CellAddress cell,
        FormingPulse pulse,
        Func<RecordKey> nextKey,
        double readVoltageV,
        UnitBatch batch,
        bool lastTry,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(nextKey);
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            var result = await chip.FormAsync(cell, pulse, cancellationToken).ConfigureAwait(false);
            batch.Add(Measurement.FromForming(nextKey(), result));
            return result;
        }
        catch (UncertainPulseException ex)
        {
            batch.Add(Measurement.FromUncertainForming(nextKey(), pulse, ex));
            if (lastTry)
            {
                throw;
            }

            var back = await chip.ReadCellAsync(cell, readVoltageV, cancellationToken).ConfigureAwait(false);
            batch.Add(Measurement.FromRead(nextKey(), MeasurementRoles.FormReadback, readVoltageV, back.CurrentA, back.Timestamp));
            return null;
        }
    }
}

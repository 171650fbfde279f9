using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Characterization.Resume;

/// <summary>
/// Makes sure a resumed characterisation continues on the chip it measured, in the state it left it: restores a saved
/// emulator state, checks the identity and a fingerprint of re-read cells, and refuses (or, when asked, restarts the
/// procedures that depend on the chip's state) before a single pulse. Then keeps the emulator's state saved with every commit.
/// </summary>
public static class ResumeGuard
{
    /// <summary>
    /// Call before the first operation of a session. Throws <see cref="ChipChangedException"/> when a resume meets
    /// another chip and <see cref="CharacterizerOptions.ResumeOnNewChip"/> is not set.
    /// </summary>
    public static async Task<ResumeCheck> PrepareAsync(IChip chip, MeasurementStore store, CharacterizerOptions options, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var stateful = chip.Unwrap<IStatefulChip>();
        var checkpoint = stateful is null ? null : new ChipStateCheckpoint(stateful, store.Path);
        var check = ResumeCheck.Fresh;
        var totals = store.CommittedMark;
        if (store.Session > 1 && totals.Measurements > 0 && store.Run.FinishedUtc is not null)
        {
            // A finished run applies nothing more; the emulator's state is still restored, so what is read afterwards
            // (the run's conductance map) is what the uninterrupted run read.
            if (IdentityEvidence(chip, store) is null && Restore(checkpoint, totals, log, out _))
            {
                check = new ResumeCheck(true, null, null);
            }
        }
        else if (store.Session > 1 && totals.Measurements > 0)
        {
            check = await VerifyAsync(chip, store, checkpoint, options, log, cancellationToken).ConfigureAwait(false);
        }

        if (checkpoint is not null)
        {
            checkpoint.Save(store.CommittedMark);
            store.CommitListener = checkpoint;
        }

        return check;
    }

    private static async Task<ResumeCheck> VerifyAsync(IChip chip, MeasurementStore store, ChipStateCheckpoint? checkpoint, CharacterizerOptions options, ILogger log, CancellationToken ct)
    {
        var totals = store.CommittedMark;
        var evidence = IdentityEvidence(chip, store);

        // Only the chip the store names may take the saved state: loading it into another would fake the fingerprint.
        var found = checkpoint is null ? "not an emulator" : "not loaded into another chip";
        var restored = evidence is null && Restore(checkpoint, totals, log, out found);

        ChipFingerprint? fingerprint = null;
        if (evidence is null)
        {
            fingerprint = await ChipFingerprint.TakeAsync(chip, store, options.FingerprintCells, ct).ConfigureAwait(false);
            log.Information("Resume check: {Agreeing} of {Cells} re-read cells agree with the store", fingerprint.Agreeing, fingerprint.Cells.Count);
            if (restored)
            {
                // The check's reads advanced the emulator's read counters: load the saved state again, so the resumed
                // run draws exactly the noise the uninterrupted one did.
                checkpoint!.TryRestore(totals, out _);
            }

            if (!fingerprint.Matches)
            {
                evidence = fingerprint.Evidence;
            }
        }

        if (evidence is null)
        {
            return new ResumeCheck(restored, fingerprint, null);
        }

        if (checkpoint is not null && !restored)
        {
            evidence += $" (emulator state: {found})";
        }

        if (!options.ResumeOnNewChip)
        {
            throw new ChipChangedException(
                $"{store.Path}: the connected chip is not the one whose measurements are stored: {evidence}. " +
                "A restarted emulator without its state file, or another die, does this. No pulse was applied. " +
                "To characterise this chip in the same run anyway, resume with --resume-on-new-chip: forming, the stuck map and every " +
                "unfinished procedure then start again from their beginning, their earlier records are kept aside, and the change is recorded in the store.");
        }

        var restart = store.Procedures()
            .Where(p => p is ProcedureNames.Forming or ProcedureNames.StuckMap || !store.IsProcedureFinished(p))
            .ToList();
        store.RestartProceduresOnNewChip(restart, chip.Identity, evidence, DateTimeOffset.UtcNow);
        log.Warning("Resuming on a new chip ({Evidence}); restarted from their beginning: {Procedures}", evidence, string.Join(", ", restart));
        return new ResumeCheck(restored, fingerprint, restart);
    }

    /// <summary>Why the connected chip is not the one the store names (vendor, model, serial), or null when it is.</summary>
    private static string? IdentityEvidence(IChip chip, MeasurementStore store)
    {
        var stored = store.Run.Provenance.Chip;
        var now = chip.Identity;
        return string.Equals(stored.Vendor, now.Vendor, StringComparison.Ordinal)
            && string.Equals(stored.Model, now.Model, StringComparison.Ordinal)
            && string.Equals(stored.Serial, now.Serial, StringComparison.Ordinal)
            ? null
            : $"the store was measured on {stored.Vendor} {stored.Model} serial {stored.Serial}, the chip now connected is {now.Vendor} {now.Model} serial {now.Serial}";
    }

    /// <summary>Loads the saved state that fits the store, if there is a checkpoint and one fits; <paramref name="found"/> says what was there.</summary>
    private static bool Restore(ChipStateCheckpoint? checkpoint, CommitMark totals, ILogger log, out string found)
    {
        found = "not an emulator";
        if (checkpoint is null || !checkpoint.TryRestore(totals, out found))
        {
            return false;
        }

        log.Information("Chip state restored from {StateFile}", found);
        return true;
    }
}

using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Procedures;

/// <summary>
/// One cell of a row to program: its column, the procedure step it belongs to, its target, and the first sequence
/// number free for its records (after those of an aborted earlier attempt, <see cref="MeasurementStore.NextSeqOfUnfinishedUnits"/>).
/// </summary>
public readonly record struct VerifyTarget(int Column, int Step, double TargetS, int FirstSeq = 0);

/// <summary>What program-and-verify did to one cell.</summary>
public sealed record VerifyOutcome(int Column, int Step, double TargetS, bool Converged, int Pulses, double FinalS, DateTimeOffset LastPulse, int NextSeq);

/// <summary>
/// Program-and-verify of the cells of one row, all at once: every round reads the row in one block read,
/// then gives each unfinished cell one pulse towards its target. Pulses are incremental-step (ISPP): each
/// consecutive pulse of the same polarity is one step higher; a change of direction starts again from the
/// start amplitude (Yu et al., "Emerging memory technologies", IEEE SSC Mag. 2016; the write-verify scheme of
/// Alibart et al., Nanotechnology 23, 075201, 2012). Every pulse and verify read is added to the batch. A pulse whose
/// outcome the link left uncertain is recorded as such (<see cref="RecordedPulse"/>), and the cell's next step is decided
/// from the next round's verify read — the read-back — never by repeating the pulse.
/// </summary>
public static class ProgramVerifier
{
    /// <summary>Runs program-and-verify, then waits <see cref="ProgramVerifySpec.SettleSeconds"/> and takes the final reads.</summary>
    public static async Task<IReadOnlyList<VerifyOutcome>> RunRowAsync(
        IChip chip,
        string procedure,
        int row,
        IReadOnlyList<VerifyTarget> cells,
        ProgramVerifySpec spec,
        double readVoltageV,
        UnitBatch batch,
        CancellationToken cancellationToken,
        int firstSeq = 0)
    {
        var n = cells.Count;
        var seq = new int[n];
        for (var i = 0; i < n; i++)
        {
            seq[i] = Math.Max(firstSeq, cells[i].FirstSeq);
        }

        var pulses = new int[n];
        var run = new int[n];
        var lastPolarity = new PulsePolarity?[n];
        var done = new bool[n];
        var converged = new bool[n];
        var lastPulse = new DateTimeOffset[n];
        var block = Span(row, cells);
        var active = n;
        while (active > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = await chip.ReadBlockAsync(block, readVoltageV, cancellationToken).ConfigureAwait(false);
            var averaged = read.CurrentsA.ToArray();
            for (var k = 1; k < spec.VerifyReads; k++)
            {
                var more = await chip.ReadBlockAsync(block, readVoltageV, cancellationToken).ConfigureAwait(false);
                for (var j = 0; j < averaged.Length; j++)
                {
                    averaged[j] += more.CurrentsA[j];
                }
            }

            for (var i = 0; i < n; i++)
            {
                if (done[i])
                {
                    continue;
                }

                var t = cells[i];
                var current = averaged[t.Column - block.Column] / spec.VerifyReads;
                batch.Add(Measurement.FromRead(new RecordKey(procedure, row, t.Column, t.Step, seq[i]++), MeasurementRoles.Verify, readVoltageV, current, read.Timestamp, t.TargetS));
                var g = current / readVoltageV;
                if (Math.Abs(g - t.TargetS) <= spec.ToleranceS)
                {
                    done[i] = converged[i] = true;
                    active--;
                    continue;
                }

                if (pulses[i] >= spec.MaxPulses)
                {
                    done[i] = true;
                    active--;
                    continue;
                }

                var polarity = g < t.TargetS ? PulsePolarity.Set : PulsePolarity.Reset;
                run[i] = lastPolarity[i] == polarity ? run[i] + 1 : 0;
                lastPolarity[i] = polarity;
                var ispp = polarity == PulsePolarity.Set ? spec.Set : spec.Reset;
                var pulse = new ProgramPulse
                {
                    Polarity = polarity,
                    AmplitudeV = ispp.AmplitudeV(run[i]),
                    WidthSeconds = ispp.WidthSeconds,
                    GateVoltageV = ispp.GateVoltageV,
                    ComplianceA = ispp.ComplianceA,
                };
                var record = await RecordedPulse.ApplyAsync(chip, new CellAddress(row, t.Column), pulse, () => new RecordKey(procedure, row, t.Column, t.Step, seq[i]++), MeasurementRoles.Verify, readVoltageV, batch, cancellationToken, t.TargetS).ConfigureAwait(false);
                if (record.Uncertain != UncertainOutcome.NotApplied)
                {
                    // An unknown pulse counts against maxPulses: it may have reached the cell, and the budget bounds stress.
                    lastPulse[i] = record.Timestamp;
                    pulses[i]++;
                }
            }
        }

        if (spec.SettleSeconds > 0)
        {
            await chip.Clock.DelayAsync(TimeSpan.FromSeconds(spec.SettleSeconds), cancellationToken).ConfigureAwait(false);
        }

        var sum = new double[n];
        for (var k = 0; k < spec.FinalReads; k++)
        {
            var read = await chip.ReadBlockAsync(block, readVoltageV, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < n; i++)
            {
                var t = cells[i];
                var current = read.CurrentA(row, t.Column);
                sum[i] += current / readVoltageV;
                batch.Add(Measurement.FromRead(new RecordKey(procedure, row, t.Column, t.Step, seq[i]++), MeasurementRoles.Final, readVoltageV, current, read.Timestamp, t.TargetS));
            }
        }

        var outcomes = new VerifyOutcome[n];
        for (var i = 0; i < n; i++)
        {
            outcomes[i] = new VerifyOutcome(cells[i].Column, cells[i].Step, cells[i].TargetS, converged[i], pulses[i], sum[i] / spec.FinalReads, lastPulse[i], seq[i]);
        }

        return outcomes;
    }

    /// <summary>The smallest block of the row that holds all the cells.</summary>
    public static CellBlock Span(int row, IReadOnlyList<VerifyTarget> cells)
    {
        var lo = cells.Min(c => c.Column);
        var hi = cells.Max(c => c.Column);
        return new CellBlock(row, lo, 1, hi - lo + 1);
    }

    /// <summary>Completes each programmed cell's unit: converged or not, with its target, final value and pulse count.</summary>
    public static void Complete(UnitBatch batch, string procedure, int row, IReadOnlyList<VerifyOutcome> outcomes)
    {
        foreach (var o in outcomes)
        {
            batch.Complete(new UnitResult
            {
                Key = new UnitKey(procedure, row, o.Column, o.Step),
                Outcome = o.Converged ? ProcedureNames.Converged : ProcedureNames.NotConverged,
                TargetS = o.TargetS,
                ValueS = o.FinalS,
                Pulses = o.Pulses,
            });
        }
    }
}

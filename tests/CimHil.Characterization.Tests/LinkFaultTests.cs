using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Emulator.Wire;
using CimHil.Instruments;

namespace CimHil.Characterization.Tests;

/// <summary>
/// A characterisation of the served 16×16 emulator through the cimhil-board driver under every fault mode of the wire
/// server: every pulse the board applied is in the store, exactly (the board's counters against the pulse records), and
/// the run either rides through or stops with a clear error and a store that resumes without a collision or a lost unit.
/// </summary>
public sealed class LinkFaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The small plan with multilevel sampled, so each fault mode's run stays short.</summary>
    private static CharacterizationPlan Reduced => CharacterizationPlan.Parse(
        TestPlans.SmallRramJson.Replace("\"targetsS\": [10e-6, 30e-6, 50e-6, 70e-6] }", "\"targetsS\": [10e-6, 30e-6, 50e-6, 70e-6], \"sampleCount\": 48 }", StringComparison.Ordinal),
        "small-rram-reduced");

    [Fact]
    public async Task LinkDroppedEveryNMessages_RidesThrough_StoredPulsesEqualTheBoardsCount_WithoutAResume()
    {
        await using var served = ServedBoard.Start(seed: 41);
        var db = Path.Combine(TestPlans.TempDir(), "drop.db");
        await using var chip = await served.ConnectAsync(CancellationToken.None);

        // `cimhil emulator serve --drop-after 397 --drop-repeat`: the link closes after every 397th message, wherever it falls.
        served.Board.Faults = new BoardFaults { DropAfterCommands = 397, RepeatDrop = true };
        var reconnectsBefore = served.Reconnects;
        var summary = await ChildHost.RunAsync(TestPlans.SmallRram, db, chip, resume: false, CancellationToken.None);
        served.Board.Faults = BoardFaults.None;
        var drops = served.Reconnects - reconnectsBefore;

        Assert.Equal(1, summary.Session);
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        AssertComplete(s);
        var (pulses, forms) = (s.PulseRecordCounts(MeasurementKind.Pulse), s.PulseRecordCounts(MeasurementKind.Form));
        output.WriteLine($"drops {drops}; pulses {pulses}; forming {forms}; board {served.Board.PulsesApplied} / {served.Board.Protocol.FormingPulsesApplied}");

        // A dropped link closes after the message ran, so every uncertain pulse was applied, and the counters say so.
        Assert.Equal((0L, 0L), (pulses.NotApplied + forms.NotApplied, pulses.Unknown + forms.Unknown));
        Assert.Equal(served.Board.PulsesApplied, pulses.Confirmed + pulses.UncertainApplied);
        Assert.Equal(served.Board.Protocol.FormingPulsesApplied, forms.Confirmed + forms.UncertainApplied);

        // Drops landed mid-pulse (uncertain records) and elsewhere (reads and queries, retried by the session).
        var uncertain = pulses.UncertainApplied + forms.UncertainApplied;
        Assert.InRange(uncertain, 2, drops - 1);

        // SYST:CLOC:ADV was never repeated: the board's clock is where the driver's mirror of it is.
        Assert.Equal(served.Backing.Clock.Now, chip.Clock.Now);
    }

    [Fact]
    public async Task CorruptedReplies_RideThrough_StoredPulsesEqualTheBoardsCount()
    {
        await using var served = ServedBoard.Start(seed: 42);
        var db = Path.Combine(TestPlans.TempDir(), "corrupt.db");
        await using var chip = await served.ConnectAsync(CancellationToken.None);

        // One reply in every 151 writes has its first byte replaced ('?'): a pulse's *OPC?, a block header, a forming reply.
        served.BeforeWrite = (n, _) =>
        {
            if (n % 151 == 0)
            {
                served.Board.Faults = new BoardFaults { CorruptReplies = 1 };
            }
        };
        await ChildHost.RunAsync(Reduced, db, chip, resume: false, CancellationToken.None);
        served.BeforeWrite = null;

        AssertEveryPulseAccountedFor(db, served, "corrupted reply");
        Assert.Equal(served.Backing.Clock.Now, chip.Clock.Now);
    }

    [Fact]
    public async Task RepliesLateBeyondTheTimeout_OneAtATime_RideThrough_StoredPulsesEqualTheBoardsCount()
    {
        await using var served = ServedBoard.Start(seed: 43);
        var db = Path.Combine(TestPlans.TempDir(), "delay.db");
        await using var chip = await served.ConnectAsync(CancellationToken.None);

        // Every 211th write gets its replies 0.6 s late (the timeout is 0.25 s); the next write finds the board prompt again.
        var late = false;
        served.BeforeWrite = (n, _) =>
        {
            if (n % 211 == 0)
            {
                served.Board.Faults = new BoardFaults { ReplyDelay = TimeSpan.FromSeconds(0.6) };
                late = true;
            }
            else if (late)
            {
                served.Board.Faults = BoardFaults.None;
                late = false;
            }
        };
        await ChildHost.RunAsync(Reduced, db, chip, resume: false, CancellationToken.None);
        served.BeforeWrite = null;

        AssertEveryPulseAccountedFor(db, served, "late reply");
    }

    [Theory]
    [InlineData("stall")]
    [InlineData("delay")]
    public async Task LinkDownPastTheRetries_StopsWithAClearError_KeepsTheUnfinishedRow_AndResumes(string mode)
    {
        await using var served = ServedBoard.Start(seed: 44);
        var db = Path.Combine(TestPlans.TempDir(), $"{mode}.db");
        var stalled = mode == "stall";
        var multilevelDone = 0;
        var armed = 0;

        // Once multilevel has committed some units, the next programming pulse meets a board that stops answering for good
        // (stall: it does not even execute what it receives) or answers everything too late (delay: it executes, then waits).
        served.BeforeWrite = (_, text) =>
        {
            if (Volatile.Read(ref multilevelDone) >= 40 && text.StartsWith("CELL:PROG", StringComparison.Ordinal) && Interlocked.Exchange(ref armed, 1) == 0)
            {
                served.Board.Faults = stalled ? new BoardFaults { StallAfterCommands = 0 } : new BoardFaults { ReplyDelay = TimeSpan.FromSeconds(0.6) };
            }
        };
        var progress = new SyncProgress(p =>
        {
            if (p.Procedure == ProcedureNames.Multilevel)
            {
                Volatile.Write(ref multilevelDone, p.UnitsDone);
            }
        });

        await using (var chip = await served.ConnectAsync(CancellationToken.None))
        {
            // SafeChip adds that the safe state failed too (the board is still unreachable) to the link error.
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => ChildHost.RunAsync(Reduced, db, chip, resume: false, CancellationToken.None, progress));
            output.WriteLine(ex.Message);
            Assert.IsAssignableFrom<InstrumentException>(ex is AggregateException a ? a.InnerExceptions[0] : ex);
            Assert.Contains(served.Resource, ex.Message, StringComparison.Ordinal);
        }

        // The unfinished row's records (its pulses up to the outage, the unknown one included) are in the store.
        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            Assert.NotEmpty(s.NextSeqOfUnfinishedUnits(ProcedureNames.Multilevel));
            Assert.Equal(1, s.PulseRecordCounts(MeasurementKind.Pulse).Unknown);
        }

        // The link comes back; `cimhil characterize --resume` on the same board finishes the run.
        served.BeforeWrite = null;
        served.Board.Faults = BoardFaults.None;
        await using (var chip = await served.ConnectAsync(CancellationToken.None))
        {
            var summary = await ChildHost.RunAsync(Reduced, db, chip, resume: true, CancellationToken.None);
            Assert.Equal(2, summary.Session);
        }

        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            AssertComplete(s, multilevelSample: 48);
            var (pulses, forms) = (s.PulseRecordCounts(MeasurementKind.Pulse), s.PulseRecordCounts(MeasurementKind.Form));
            output.WriteLine($"pulses {pulses}; forming {forms}; board {served.Board.PulsesApplied}");

            // The one pulse whose outcome stayed unknown: a stalled board never ran it, a late one did.
            Assert.Equal(1, pulses.Unknown);
            Assert.Equal(served.Board.PulsesApplied, pulses.Confirmed + pulses.UncertainApplied + (stalled ? 0 : pulses.Unknown));
            Assert.Equal(served.Board.Protocol.FormingPulsesApplied, forms.Confirmed + forms.UncertainApplied);
        }
    }

    /// <summary>Every procedure finished with every unit it owes (the formulas of the small plan on a 16×16 array).</summary>
    /// <summary>
    /// The store is complete, some pulse met the fault (<paramref name="fault"/>) and was recorded as uncertain but applied,
    /// none is left unknown, and the stored pulses and forming pulses are exactly the ones the board applied.
    /// </summary>
    private void AssertEveryPulseAccountedFor(string db, ServedBoard served, string fault)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        AssertComplete(s, multilevelSample: 48);
        var (pulses, forms) = (s.PulseRecordCounts(MeasurementKind.Pulse), s.PulseRecordCounts(MeasurementKind.Form));
        output.WriteLine($"pulses {pulses}; forming {forms}");
        Assert.True(pulses.UncertainApplied + forms.UncertainApplied > 0, $"no {fault} landed on a pulse");
        Assert.Equal(0, pulses.Unknown + forms.Unknown);
        Assert.Equal(served.Board.PulsesApplied, pulses.Confirmed + pulses.UncertainApplied);
        Assert.Equal(served.Board.Protocol.FormingPulsesApplied, forms.Confirmed + forms.UncertainApplied);
    }

    private static void AssertComplete(MeasurementStore s, int? multilevelSample = null)
    {
        Assert.All(ProcedureNames.InOrder, p => Assert.True(s.IsProcedureFinished(p), p));
        var units = s.Units();
        var ok = units.Count(u => u.Key.Procedure == ProcedureNames.StuckMap && u.Outcome == ProcedureNames.Ok);
        Assert.Equal(256, units.Count(u => u.Key.Procedure == ProcedureNames.Forming));
        Assert.Equal(256, units.Count(u => u.Key.Procedure == ProcedureNames.StuckMap));
        Assert.Equal(Math.Min(ok, multilevelSample ?? ok) * 4, units.Count(u => u.Key.Procedure == ProcedureNames.Multilevel));
        Assert.Equal(8 * 3, units.Count(u => u.Key.Procedure == ProcedureNames.CycleToCycle));
        Assert.Equal(16, units.Count(u => u.Key.Procedure == ProcedureNames.ReadNoise));
        Assert.Equal(8 * (1 + 7), units.Count(u => u.Key.Procedure == ProcedureNames.Drift));
        Assert.Equal(2, units.Count(u => u.Key.Procedure == ProcedureNames.IvSweep));
    }

    private sealed class SyncProgress(Action<CharacterizationProgress> action) : IProgress<CharacterizationProgress>
    {
        public void Report(CharacterizationProgress value) => action(value);
    }
}

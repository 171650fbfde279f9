using CimHil.Characterization.Procedures;
using CimHil.Characterization.Resume;
using CimHil.Core.Chip;
using CimHil.Emulator;

namespace CimHil.Characterization.Tests;

/// <summary>The chip-state files next to a store: at every instant one of them fits what the store committed.</summary>
public sealed class ChipStateCheckpointTests
{
    [Fact]
    public async Task ResumeKilledWhileSavingTheState_AfterAKillBetweenCommitAndRename_StillResumes()
    {
        // The first run is killed between a commit and the rename that confirms its state: only the pending file fits.
        var db = await InterruptedAsync(45);
        var state = ChipStateCheckpoint.PathFor(db);
        File.Move(state, state + ".pending", overwrite: true);

        // The resume restores the pending state, then dies while saving it for its own session (here: the disk fails
        // half-way through the state).
        await using (var inner = ChildHost.Chip(DeviceTechnology.Rram, 45, 16))
        {
            var dying = new SaveFailsHalfWay(inner);
            var ex = await Assert.ThrowsAsync<IOException>(() => ChildHost.RunAsync(TestPlans.SmallRram, db, dying, true, CancellationToken.None));
            Assert.Equal("disk failed while saving", ex.Message);
        }

        // Before the fix the save rewrote the pending file in place: the only state fitting the store was gone and this
        // resume was refused as "not the chip whose measurements are stored".
        await using var fresh = ChildHost.Chip(DeviceTechnology.Rram, 45, 16);
        var summary = await ChildHost.RunAsync(TestPlans.SmallRram, db, fresh, true, CancellationToken.None);
        Assert.True(summary.Resume.StateRestored);
        Assert.True(summary.Resumed);
    }

    [Fact]
    public async Task AStateFileWhoseTagFitsButWhoseBodyIsCut_IsPassedOver_ForTheOtherFile()
    {
        var db = await InterruptedAsync(46);
        var state = ChipStateCheckpoint.PathFor(db);
        File.Copy(state, state + ".pending");
        using (var cut = new FileStream(state, FileMode.Open))
        {
            cut.SetLength(200); // header and tag intact, the cells cut off
        }

        await using var chip = ChildHost.Chip(DeviceTechnology.Rram, 46, 16);
        var summary = await ChildHost.RunAsync(TestPlans.SmallRram, db, chip, true, CancellationToken.None);
        Assert.True(summary.Resume.StateRestored);
    }

    private static async Task<string> InterruptedAsync(long seed)
    {
        var db = Path.Combine(TestPlans.TempDir(), "run.db");
        using var cts = new CancellationTokenSource();
        var reports = 0;
        var progress = new Progress(p =>
        {
            if (p.Procedure == ProcedureNames.Multilevel && ++reports == 10)
            {
                cts.Cancel();
            }
        });
        await using var chip = ChildHost.Chip(DeviceTechnology.Rram, seed, 16);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ChildHost.RunAsync(TestPlans.SmallRram, db, chip, false, cts.Token, progress));
        return db;
    }

    private sealed class Progress(Action<CharacterizationProgress> action) : IProgress<CharacterizationProgress>
    {
        public void Report(CharacterizationProgress value) => action(value);
    }

    /// <summary>The emulator, except that saving its state writes half of it and then fails.</summary>
    private sealed class SaveFailsHalfWay(EmulatedChip inner) : IStatefulChip
    {
        public ChipIdentity Identity => inner.Identity;

        public ArrayGeometry Geometry => inner.Geometry;

        public ChipCapabilities Capabilities => inner.Capabilities;

        public IChipClock Clock => inner.Clock;

        public Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken) => inner.ApplyPulseAsync(cell, pulse, cancellationToken);

        public Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken) => inner.FormAsync(cell, pulse, cancellationToken);

        public Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken) => inner.ReadCellAsync(cell, readVoltageV, cancellationToken);

        public Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken) => inner.ReadBlockAsync(block, readVoltageV, cancellationToken);

        public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken) => inner.MultiplyAsync(rowVoltagesV, cancellationToken);

        public Task SafeStateAsync(CancellationToken cancellationToken) => inner.SafeStateAsync(cancellationToken);

        public void LoadState(Stream source) => inner.LoadState(source);

        public void SaveState(Stream destination)
        {
            using var whole = new MemoryStream();
            inner.SaveState(whole);
            destination.Write(whole.GetBuffer(), 0, (int)(whole.Length / 2));
            throw new IOException("disk failed while saving");
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

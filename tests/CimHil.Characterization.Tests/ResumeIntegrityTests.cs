using System.Diagnostics;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Resume;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Emulator;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Tests;

/// <summary>A resume continues on the chip it measured, in the state it left it — or is refused; never a different experiment.</summary>
public sealed class ResumeIntegrityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Runs the small plan on a 16×16 chip until <paramref name="units"/> multilevel units are committed, then cancels.</summary>
    private static async Task<string> InterruptedRunAsync(long seed, int units)
    {
        var db = Path.Combine(TestPlans.TempDir(), "run.db");
        using var cts = new CancellationTokenSource();
        var reports = 0;
        var progress = new SyncProgress(p =>
        {
            if (p.Procedure == ProcedureNames.Multilevel && ++reports == units)
            {
                cts.Cancel();
            }
        });
        await using var chip = ChildHost.Chip(DeviceTechnology.Rram, seed, 16);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ChildHost.RunAsync(TestPlans.SmallRram, db, chip, false, cts.Token, progress));
        return db;
    }

    [Fact]
    public async Task Resume_OnAFreshEmulatorWithoutItsStateFile_IsRefusedBeforeAnyPulse()
    {
        var db = await InterruptedRunAsync(41, 10);
        File.Delete(ChipStateCheckpoint.PathFor(db));
        var before = StoreSnapshot.Records(db);

        // A restarted emulator is an unformed array: before the fix the resume formed nothing, called hundreds of cells
        // stuck and every multilevel unit failed to converge, with exit 0.
        await using var fresh = ChildHost.Chip(DeviceTechnology.Rram, 41, 16);
        var ex = await Assert.ThrowsAsync<ChipChangedException>(() => ChildHost.RunAsync(TestPlans.SmallRram, db, fresh, true, CancellationToken.None));
        output.WriteLine(ex.Message);
        Assert.Contains("is not the one whose measurements are stored", ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"(2[89]|3[0-2]) of 32 re-read cells differ", ex.Message);
        Assert.Contains("no saved chip state", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--resume-on-new-chip", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, fresh.TotalPulses);
        Assert.Equal(0, fresh.TotalFormingPulses);
        Assert.Equal(before, StoreSnapshot.Records(db));
    }

    [Fact]
    public async Task Resume_OnAChipWithAnotherSerial_IsRefusedNamingBoth()
    {
        var db = await InterruptedRunAsync(42, 10);
        await using var other = new EmulatedChip(EmulatorSettings.Defaults with { Seed = 42, Rows = 16, Columns = 16, Serial = "EMU-0002" });
        var ex = await Assert.ThrowsAsync<ChipChangedException>(() => ChildHost.RunAsync(TestPlans.SmallRram, db, other, true, CancellationToken.None));
        Assert.Contains("serial EMU-0001", ex.Message, StringComparison.Ordinal);
        Assert.Contains("serial EMU-0002", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, other.TotalPulses + other.TotalFormingPulses + other.TotalReads);
    }

    [Fact]
    public async Task Resume_WithAStateFileOfAnotherPoint_IsRefused()
    {
        // The state file next to the store is from another run state (here: an older copy): it must not be loaded.
        var db = await InterruptedRunAsync(43, 10);
        var state = ChipStateCheckpoint.PathFor(db);
        var stale = File.ReadAllBytes(state);
        await using (var chip = ChildHost.Chip(DeviceTechnology.Rram, 43, 16))
        {
            using var cts = new CancellationTokenSource();
            var n = 0;
            var progress = new SyncProgress(p =>
            {
                if (p.Procedure == ProcedureNames.Multilevel && ++n == 5)
                {
                    cts.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ChildHost.RunAsync(TestPlans.SmallRram, db, chip, true, cts.Token, progress));
        }

        File.WriteAllBytes(state, stale);
        await using var fresh = ChildHost.Chip(DeviceTechnology.Rram, 43, 16);
        var ex = await Assert.ThrowsAsync<ChipChangedException>(() => ChildHost.RunAsync(TestPlans.SmallRram, db, fresh, true, CancellationToken.None));
        Assert.Contains("run.db.chip-state fits a store of", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, fresh.TotalPulses + fresh.TotalFormingPulses);
    }

    [Fact]
    public async Task ResumeOnNewChip_RestartsFormingAndTheUnfinished_KeepsTheOldRecordsAside_AndRecordsTheChange()
    {
        var db = await InterruptedRunAsync(44, 10);
        File.Delete(ChipStateCheckpoint.PathFor(db));
        var recordsBefore = StoreSnapshot.Records(db).Count;
        long multilevelBefore;
        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            multilevelBefore = s.Units(ProcedureNames.Multilevel).Count;
        }

        await using var fresh = ChildHost.Chip(DeviceTechnology.Rram, 44, 16);
        var summary = await ChildHost.RunAsync(TestPlans.SmallRram, db, fresh, true, CancellationToken.None, options: new CharacterizerOptions { ResumeOnNewChip = true });

        Assert.Equal([ProcedureNames.Forming, ProcedureNames.StuckMap, ProcedureNames.Multilevel], summary.Resume.RestartedOnNewChip);
        Assert.Equal(256, fresh.TotalFormingPulses > 0 ? CountFormedUnits(db) : -1);
        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            Assert.Equal(1, s.ChipChanges());
            Assert.All(ProcedureNames.InOrder, p => Assert.True(s.IsProcedureFinished(p), p));
            Assert.All(s.Units(ProcedureNames.Multilevel), u => Assert.Equal(2, u.Session));
        }

        // Nothing measured was lost: the first chip's records of the restarted procedures moved aside, with the change's evidence.
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        Assert.Equal(multilevelBefore, Scalar(c, "SELECT COUNT(*) FROM superseded_units WHERE procedure='multilevel'"));
        Assert.Equal(256L, Scalar(c, "SELECT COUNT(*) FROM superseded_units WHERE procedure='forming'"));
        Assert.True(Scalar(c, "SELECT COUNT(*) FROM superseded_measurements") + Scalar(c, "SELECT COUNT(*) FROM measurements WHERE session=1") == recordsBefore);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT session, chip_serial, restarted, evidence FROM chip_changes";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(2L, r.GetInt64(0));
        Assert.Equal("EMU-0001", r.GetString(1));
        Assert.Equal("forming,stuckMap,multilevel", r.GetString(2));
        Assert.Contains("re-read cells differ", r.GetString(3), StringComparison.Ordinal);
    }

    /// <summary>
    /// The acceptance campaign: one characterisation (32×32) killed with SIGKILL at ten random instants, resumed each time
    /// in a new process on a freshly constructed emulator; the finished store is the uninterrupted run's, record for record.
    /// </summary>
    [Fact]
    public async Task KillCampaign_TenRandomKillPoints_ResumedStoreIsTheUninterruptedRun()
    {
        var plan = TestPlans.PlanPath("small-rram-campaign");
        File.WriteAllText(plan, TestPlans.SmallRramJson.Replace("\"sampleCount\": 8", "\"sampleCount\": 24", StringComparison.Ordinal).Replace("\"sampleCount\": 16", "\"sampleCount\": 48", StringComparison.Ordinal));
        var full = Path.Combine(TestPlans.TempDir(), "full.db");
        var sw = Stopwatch.StartNew();
        await ChildHost.MainAsync([plan, full, "rram", "34", "32"]);
        var fullSeconds = sw.Elapsed.TotalSeconds;
        output.WriteLine($"uninterrupted run {fullSeconds:F1} s");

        // Kills land at random instants; if a run finishes before ten have landed, the campaign goes on with a new run, and
        // every run it finishes (killed and resumed any number of times) must be the uninterrupted one.
        var dll = typeof(ChildHost).Assembly.Location;
        var random = new Random(20261203);
        var kills = new List<string>();
        var runs = 0;
        for (var attempt = 0; kills.Count < 10 && attempt < 60; runs++)
        {
            var db = Path.Combine(TestPlans.TempDir(), "killed.db");
            for (; attempt < 60; attempt++)
            {
                string[] args = File.Exists(db) ? [dll, plan, db, "rram", "34", "32", "resume"] : [dll, plan, db, "rram", "34", "32"];
                using var child = Process.Start(new ProcessStartInfo("dotnet", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                var errors = child.StandardError.ReadToEndAsync();
                _ = child.StandardOutput.ReadToEndAsync();

                // Random instants over the child's life: process start-up, store creation, the resume check, every procedure.
                await Task.Delay(TimeSpan.FromSeconds(0.25 + (random.NextDouble() * 0.75)));
                if (child.HasExited)
                {
                    await child.WaitForExitAsync();
                    Assert.True(child.ExitCode == 0, $"a resume failed (exit {child.ExitCode}): {await errors}");
                    break;
                }

                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
                var units = File.Exists(db) ? CharacterizerTests.CountUnits(db, ProcedureNames.Multilevel) : 0;
                kills.Add($"run {runs + 1}: kill {kills.Count + 1} at {sw.Elapsed.TotalSeconds:F1} s, {units} multilevel units committed");
                if (kills.Count == 10)
                {
                    await ChildHost.MainAsync([plan, db, "rram", "34", "32", "resume"]);
                    break;
                }
            }

            Assert.Equal(StoreSnapshot.Units(full), StoreSnapshot.Units(db));
            Assert.Equal(StoreSnapshot.Records(full), StoreSnapshot.Records(db));
        }

        output.WriteLine(string.Join(Environment.NewLine, kills));
        Assert.Equal(10, kills.Count);
    }

    private static long CountFormedUnits(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return s.Units(ProcedureNames.Forming).Count;
    }

    private static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private sealed class SyncProgress(Action<CharacterizationProgress> action) : IProgress<CharacterizationProgress>
    {
        public void Report(CharacterizationProgress value) => action(value);
    }
}

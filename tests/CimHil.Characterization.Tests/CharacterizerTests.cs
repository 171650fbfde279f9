using System.Diagnostics;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Emulator;

namespace CimHil.Characterization.Tests;

public sealed class CharacterizerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static (string Db, EmulatedChip Chip) Fresh(long seed = 5) =>
        (Path.Combine(TestPlans.TempDir(), "run.db"), ChildHost.Chip(DeviceTechnology.Rram, seed, 16));

    /// <summary>The dataset identity of a run: every record key and every unit key (sorted).</summary>
    private static (List<string> Records, List<string> Units) Keys(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return (s.Measurements().Select(m => m.Key.ToString()).ToList(), s.Units().Select(u => u.Key.ToString()).ToList());
    }

    /// <summary>Keys a resumed run must share with an uninterrupted one: units, and records of fixed-length steps.</summary>
    private static List<string> DeterministicKeys(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);

        // Program-and-verify takes as many pulses as the cell needs, which differs between two chips; the unit keys,
        // the fixed-count reads (final, noise, drift, probe, iv, stuck map) and forming units do not.
        var fixedRoles = new HashSet<string> { "noise", "drift", "iv", "set", "reset" };
        return s.Units().Select(u => "unit " + u.Key)
            .Concat(s.Measurements().Where(m => fixedRoles.Contains(m.Role) && m.Kind == MeasurementKind.Read).Select(m => $"{m.Key.Procedure}({m.Key.Row},{m.Key.Column})#{m.Key.Step}/{m.Role}"))
            .Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Run_SmallPlan_CompletesEveryProcedureAndEveryUnit()
    {
        var (db, chip) = Fresh();
        await using var _ = chip;
        var summary = await ChildHost.RunAsync(TestPlans.SmallRram, db, chip, resume: false, CancellationToken.None);
        Assert.Equal(ProcedureNames.InOrder, summary.Procedures);
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        Assert.All(ProcedureNames.InOrder, p => Assert.True(s.IsProcedureFinished(p), p));
        var units = s.Units();
        var ok = units.Count(u => u.Key.Procedure == ProcedureNames.StuckMap && u.Outcome == ProcedureNames.Ok);
        Assert.Equal(256, units.Count(u => u.Key.Procedure == ProcedureNames.Forming));
        Assert.Equal(ok * 4, units.Count(u => u.Key.Procedure == ProcedureNames.Multilevel));
        Assert.Equal(8 * 3, units.Count(u => u.Key.Procedure == ProcedureNames.CycleToCycle));
        Assert.Equal(16, units.Count(u => u.Key.Procedure == ProcedureNames.ReadNoise));
        Assert.Equal(8 * (1 + 7), units.Count(u => u.Key.Procedure == ProcedureNames.Drift));
        Assert.Equal(2 * 3, s.Measurements(ProcedureNames.IvSweep).Count());
    }

    [Fact]
    public async Task ProgramVerify_ConvergedCells_EndWithinToleranceOfTheirTarget()
    {
        var (db, chip) = Fresh();
        await using var _ = chip;

        // Multilevel last, so the chip still holds the last level when the test looks at its true conductances.
        await ChildHost.RunAsync(TestPlans.SmallRram.Without(ProcedureNames.CycleToCycle, ProcedureNames.ReadNoise, ProcedureNames.Drift), db, chip, resume: false, CancellationToken.None);
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var ml = s.Units(ProcedureNames.Multilevel);
        Assert.True(ml.Count(u => u.Outcome == ProcedureNames.Converged) >= 0.99 * ml.Count);

        // The last verify read is within tolerance by construction; the true conductance then is within tolerance plus
        // a few read-noise σ (1 % of G here), so a 1 µS tolerance + 4σ bounds every cell.
        foreach (var u in ml.Where(u => u.Outcome == ProcedureNames.Converged && u.Key.Step == 3))
        {
            var truth = chip.TrueConductanceS(u.Key.Cell);
            Assert.InRange(truth, 70e-6 - 1e-6 - (4 * 0.72e-6), 70e-6 + 1e-6 + (4 * 0.72e-6));
        }

        // Every pulse of a unit is followed by a verify read: reads = pulses + 1 (+ final reads).
        var unit = ml.First(u => u.Pulses > 1);
        var records = s.Measurements(ProcedureNames.Multilevel).Where(m => m.Key.Row == unit.Key.Row && m.Key.Column == unit.Key.Column && m.Key.Step == unit.Key.Step).ToList();
        Assert.Equal(unit.Pulses, records.Count(m => m.Kind == MeasurementKind.Pulse));
        Assert.Equal(unit.Pulses + 1, records.Count(m => m.Role == "verify" && m.Kind == MeasurementKind.Read));
        Assert.Equal(Enumerable.Range(0, records.Count), records.Select(m => m.Key.Seq));
    }

    [Fact]
    public async Task StuckMap_FindsExactlyTheEmulatorsFaultyCells()
    {
        var chip = new EmulatedChip(EmulatorSettings.Defaults with { Seed = 9, Rows = 16, Columns = 16, Rram = new RramPhysics { StuckOnRate = 0.03, StuckOffRate = 0.03 } });
        await using var _ = chip;
        var db = Path.Combine(TestPlans.TempDir(), "run.db");
        await ChildHost.RunAsync(TestPlans.SmallRram.Without(ProcedureNames.Multilevel, ProcedureNames.CycleToCycle, ProcedureNames.ReadNoise, ProcedureNames.Drift), db, chip, false, CancellationToken.None);
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var truth = chip.GroundTruth;
        Assert.True(truth.StuckOnCount + truth.StuckOffCount > 5);
        foreach (var u in s.Units(ProcedureNames.StuckMap))
        {
            var expected = truth.Faults[truth.IndexOf(u.Key.Cell)] switch
            {
                CellFault.StuckOn => ProcedureNames.StuckOn,
                CellFault.StuckOff => ProcedureNames.StuckOff,
                _ => ProcedureNames.Ok,
            };
            Assert.Equal(expected, u.Outcome);
        }
    }

    [Fact]
    public async Task Drift_ReadsAtTheLogSpacedTimesAfterProgramming_OnTheVirtualClock()
    {
        var (db, chip) = Fresh();
        await using var _ = chip;
        var wall = Stopwatch.StartNew();
        await ChildHost.RunAsync(TestPlans.SmallRram.Without(ProcedureNames.CycleToCycle, ProcedureNames.ReadNoise, ProcedureNames.Multilevel), db, chip, false, CancellationToken.None);
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(60), "1000 s of drift must not take 1000 s of wall time");
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var reads = s.Measurements(ProcedureNames.Drift, "drift").ToList();
        var times = TestPlans.SmallRram.Drift!.TimesSeconds;
        foreach (var r in reads)
        {
            // Elapsed is measured from each cell's last pulse; the schedule from the last cell programmed, so it is at least t_k.
            Assert.True(r.ElapsedSeconds >= times[r.Key.Step - 1] - 1e-6, $"{r.Key}: {r.ElapsedSeconds}");
        }

        Assert.Equal(8 * times.Length, reads.Count);
    }

    [Fact]
    public async Task Cancel_ThenResume_GivesTheSameUnitsAsAnUninterruptedRun_WithoutReprogrammingFinishedCells()
    {
        var plan = TestPlans.SmallRram;
        var (full, fullChip) = Fresh(21);
        await using (fullChip)
        {
            await ChildHost.RunAsync(plan, full, fullChip, false, CancellationToken.None);
        }

        var (db, chip) = Fresh(21);
        using var cts = new CancellationTokenSource();
        var reports = 0;
        var progress = new SyncProgress(p =>
        {
            if (p.Procedure == ProcedureNames.Multilevel && ++reports == 20)
            {
                cts.Cancel();
            }
        });
        await using (chip)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ChildHost.RunAsync(plan, db, chip, false, cts.Token, progress));
        }

        int doneBefore;
        HashSet<UnitKey> firstSession;
        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            firstSession = s.CompletedUnits(ProcedureNames.Multilevel);
            doneBefore = firstSession.Count;
            Assert.InRange(doneBefore, 1, 4 * 250);
        }

        // Resume on a new chip object (as after a crash): a different emulator instance, same store; the characteriser
        // restores the array from the state file saved with the last commit.
        await using (var resumedChip = ChildHost.Chip(DeviceTechnology.Rram, 21, 16))
        {
            var summary = await ChildHost.RunAsync(plan, db, resumedChip, true, CancellationToken.None);
            Assert.True(summary.Resumed);
            Assert.True(summary.Resume.StateRestored);
            Assert.Equal(summary.Resume.Fingerprint!.Cells.Count, summary.Resume.Fingerprint.Agreeing);

            // No pulse of the resumed session touched a multilevel unit the first session had finished.
            using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
            Assert.DoesNotContain(s.Measurements(ProcedureNames.Multilevel).Where(m => m.Session == 2), m => firstSession.Contains(new UnitKey(m.Key.Procedure, m.Key.Row, m.Key.Column, m.Key.Step)));
        }

        Assert.Equal(Keys(full).Units, Keys(db).Units);
        Assert.Equal(DeterministicKeys(full), DeterministicKeys(db));

        // Not just the same keys: the same experiment, value for value.
        Assert.Equal(StoreSnapshot.Units(full), StoreSnapshot.Units(db));
        Assert.Equal(StoreSnapshot.Records(full), StoreSnapshot.Records(db));
    }

    [Fact]
    public async Task KillDashNine_ThenResume_LosesNothingCommittedAndDuplicatesNothing()
    {
        var plan = TestPlans.PlanPath("small-rram-kill");
        File.WriteAllText(plan, TestPlans.SmallRramJson.Replace("\"sampleCount\": 8", "\"sampleCount\": 32", StringComparison.Ordinal).Replace("\"sampleCount\": 16", "\"sampleCount\": 64", StringComparison.Ordinal));
        var full = Path.Combine(TestPlans.TempDir(), "full.db");
        var sw = Stopwatch.StartNew();
        await ChildHost.MainAsync([plan, full, "rram", "33", "32"]);
        output.WriteLine($"uninterrupted run {sw.Elapsed.TotalSeconds:F1} s");

        var db = Path.Combine(TestPlans.TempDir(), "killed.db");
        var dll = typeof(ChildHost).Assembly.Location;
        using var child = Process.Start(new ProcessStartInfo("dotnet", [dll, plan, db, "rram", "33", "32"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;

        // Wait until the child is inside multilevel with some units committed, then SIGKILL it (kill -9: no cleanup at all).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        long committedBeforeKill = 0;
        while (DateTime.UtcNow < deadline && !child.HasExited)
        {
            await Task.Delay(100);
            committedBeforeKill = CountUnits(db, ProcedureNames.Multilevel);
            if (committedBeforeKill >= 50)
            {
                break;
            }
        }

        // The message is built only on failure: reading stderr to its end waits for the child to exit, which made this
        // test wait for the whole run instead of killing it mid-way.
        if (child.HasExited)
        {
            Assert.Fail("the child finished before it could be killed; " + await child.StandardError.ReadToEndAsync());
        }

        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        Assert.NotEqual(0, child.ExitCode);
        output.WriteLine($"killed at {sw.Elapsed.TotalSeconds:F1} s with {committedBeforeKill} multilevel units committed");

        // Everything committed before the kill is there, readable, and stays there after the resume.
        HashSet<UnitKey> afterKill;
        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            afterKill = s.CompletedUnits(ProcedureNames.Multilevel);
            Assert.True(afterKill.Count >= committedBeforeKill);
        }

        await ChildHost.MainAsync([plan, db, "rram", "33", "32", "resume"]);
        output.WriteLine($"resumed by {sw.Elapsed.TotalSeconds:F1} s");
        var (records, units) = Keys(db);
        Assert.Equal(records.Count, records.Distinct().Count());
        Assert.Equal(Keys(full).Units, units);
        Assert.Equal(DeterministicKeys(full), DeterministicKeys(db));
        Assert.Equal(StoreSnapshot.Units(full), StoreSnapshot.Units(db));
        Assert.Equal(StoreSnapshot.Records(full), StoreSnapshot.Records(db));
        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            Assert.Subset(s.CompletedUnits(ProcedureNames.Multilevel), afterKill);
            Assert.Equal(afterKill.Count, s.Units(ProcedureNames.Multilevel).Count(u => u.Session == 1));
            Assert.Equal(2, s.Run.Sessions);
        }
    }

    [Fact]
    public async Task KillDashNine_BeforeTheFirstCheckpoint_StoreOpensAndTheRunResumesToTheEnd()
    {
        var plan = TestPlans.PlanPath("small-rram-early-kill");
        File.WriteAllText(plan, TestPlans.SmallRramJson);
        var db = Path.Combine(TestPlans.TempDir(), "killed.db");
        var dll = typeof(ChildHost).Assembly.Location;
        using var child = Process.Start(new ProcessStartInfo("dotnet", [dll, plan, db, "rram", "34", "32", "freeze-after", "32"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;

        // The child freezes right after committing the first forming row (32 units), long before the 1000-page automatic
        // checkpoint, and its store is never closed; then it gets SIGKILL (no cleanup at all).
        var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
        if (line != ChildHost.FrozenLine)
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail($"child said '{line}'; " + await child.StandardError.ReadToEndAsync());
        }

        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        Assert.NotEqual(0, child.ExitCode);

        // No checkpoint happened: the main file alone holds none of the units, the write-ahead log holds them all.
        var mainOnly = Path.Combine(TestPlans.TempDir(), "main-only.db");
        File.Copy(db, mainOnly);
        Assert.Equal(0, CountUnits(mainOnly, ProcedureNames.Forming));
        Assert.True(new FileInfo(db + "-wal").Length > 0);

        using (var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            Assert.Equal(32, s.CompletedUnits(ProcedureNames.Forming).Count);
        }

        await ChildHost.MainAsync([plan, db, "rram", "34", "32", "resume"]);
        using var done = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        Assert.All(ProcedureNames.InOrder, p => Assert.True(done.IsProcedureFinished(p), p));
        Assert.Equal(32 * 32, done.CompletedUnits(ProcedureNames.Forming).Count);
        Assert.Equal(2, done.Run.Sessions);
    }

    internal static long CountUnits(string db, string procedure)
    {
        if (!File.Exists(db))
        {
            return 0;
        }

        // A bare count, not MeasurementStore.Open: its integrity check reads the whole file, too heavy to poll.
        try
        {
            using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM units WHERE procedure=$p";
            cmd.Parameters.AddWithValue("$p", procedure);
            return (long)cmd.ExecuteScalar()!;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0;
        }
    }

    /// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<CharacterizationProgress> action) : IProgress<CharacterizationProgress>
    {
        public void Report(CharacterizationProgress value) => action(value);
    }
}

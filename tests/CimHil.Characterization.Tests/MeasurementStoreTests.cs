using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Tests;

public sealed class MeasurementStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RunProvenance Provenance() => new()
    {
        Chip = new ChipIdentity("Acme", "X1", "SN7", "fw2", DeviceTechnology.Pcm),
        Geometry = new ArrayGeometry(8, 4),
        VirtualClock = false,
        Driver = "smu-matrix",
        Instruments = ["KEITHLEY,2450,1,1", "KEITHLEY,707B,2,1"],
        ConfigHash = "abc123",
        SoftwareVersion = "0.1.0",
    };

    private static Measurement Read(string procedure, int row, int col, int step, int seq, double g) =>
        Measurement.FromRead(new RecordKey(procedure, row, col, step, seq), "final", 0.2, g * 0.2, T0.AddSeconds(seq), 1e-5);

    [Fact]
    public void CreateThenOpen_RoundTripsProvenancePlanAndSessions()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var s = MeasurementStore.Create(path, "r1", "{\"x\":1}", Provenance(), T0))
        {
            Assert.Equal(1, s.Session);
        }

        using var again = MeasurementStore.Open(path, T0.AddHours(1));
        Assert.Equal(2, again.Session);
        var run = again.Run;
        Assert.Equal("r1", run.Name);
        Assert.Equal("{\"x\":1}", run.PlanJson);
        Assert.Equal(Provenance().Chip, run.Provenance.Chip);
        Assert.Equal(new ArrayGeometry(8, 4), run.Provenance.Geometry);
        Assert.Equal(["KEITHLEY,2450,1,1", "KEITHLEY,707B,2,1"], run.Provenance.Instruments);
        Assert.Equal("abc123", run.Provenance.ConfigHash);
        Assert.Equal("smu-matrix", run.Provenance.Driver);
        Assert.Equal(2, run.Sessions);
    }

    [Fact]
    public void Create_OnAnExistingFile_IsRefused()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (MeasurementStore.Create(path, "r1", "{}", Provenance(), T0))
        {
        }

        var ex = Assert.Throws<MeasurementStoreException>(() => MeasurementStore.Create(path, "r2", "{}", Provenance(), T0));
        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_CommitsMeasurementsAndUnitsTogether_AndAnUncommittedBatchLeavesNothing()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0);
        s.BeginProcedure("multilevel", 1, "{}", T0);
        var b = s.BeginBatch();
        b.Add(Read("multilevel", 0, 0, 0, 0, 1e-5));
        b.Add(Read("multilevel", 0, 0, 0, 1, 1.1e-5));
        b.Complete(new UnitResult { Key = new UnitKey("multilevel", 0, 0, 0), Outcome = "converged", ValueS = 1.05e-5, Pulses = 3 });
        b.Commit(T0);

        var lost = s.BeginBatch();
        lost.Add(Read("multilevel", 0, 1, 0, 0, 1e-5));
        lost.Complete(new UnitResult { Key = new UnitKey("multilevel", 0, 1, 0), Outcome = "converged" });

        Assert.Equal((2L, 1L, 1L), s.Counts());
        Assert.Equal([new UnitKey("multilevel", 0, 0, 0)], s.CompletedUnits("multilevel"));
        var m = s.Measurements("multilevel").ToList();
        Assert.Equal(1.1e-5, m[1].ConductanceS!.Value, 15);
        Assert.Equal(T0.AddSeconds(1), m[1].Timestamp);
        Assert.Equal(1, m[1].Session);
    }

    [Fact]
    public void Write_SameKeyTwice_IsRefusedAndNothingOfTheBatchIsStored()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0);
        s.BeginProcedure("readNoise", 1, "{}", T0);
        var b = s.BeginBatch();
        b.Add(Read("readNoise", 1, 2, 0, 0, 1e-5));
        b.Commit(T0);
        b.Add(Read("readNoise", 1, 2, 0, 1, 1e-5));
        b.Add(Read("readNoise", 1, 2, 0, 0, 2e-5));
        var ex = Assert.Throws<MeasurementStoreException>(() => b.Commit(T0));
        Assert.Contains("readNoise(1,2)#0.0 is already stored", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1L, s.Counts().Measurements);
    }

    [Fact]
    public void BeginProcedure_WithOtherParametersOnResume_AfterARecord_IsRefused()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0))
        {
            s.BeginProcedure("drift", 1, "{\"a\":1}", T0);
            var batch = s.BeginBatch();
            batch.Add(Read("drift", 0, 0, 1, 0, 1e-5));
            batch.Commit(T0);
        }

        using var again = MeasurementStore.Open(path, T0);
        again.BeginProcedure("drift", 1, "{\"a\":1}", T0);
        Assert.True(again.HasRecords("drift"));
        var ex = Assert.Throws<MeasurementStoreException>(() => again.BeginProcedure("drift", 1, "{\"a\":2}", T0));
        Assert.Contains("procedure 'drift' was started with other parameters", ex.Message, StringComparison.Ordinal);
        Assert.Equal("{\"a\":1}", again.ProcedureParameters("drift"));
    }

    [Fact]
    public void BeginProcedure_WithOtherParametersOnResume_NothingStored_TakesTheCorrectedParameters()
    {
        // A procedure registered under parameters that were then refused (nothing measured) must not block a corrected plan.
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var s = MeasurementStore.Create(path, "r", "{\"plan\":1}", Provenance(), T0))
        {
            s.BeginProcedure("ivSweep", 3, "{\"v\":0.8}", T0);
        }

        using var again = MeasurementStore.Open(path, T0.AddHours(1));
        Assert.False(again.HasRecords("ivSweep"));
        again.BeginProcedure("ivSweep", 3, "{\"v\":0.3}", T0.AddHours(1));
        Assert.Equal("{\"v\":0.3}", again.ProcedureParameters("ivSweep"));
        again.ReplacePlan("{\"plan\":2}");
        Assert.Equal("{\"plan\":2}", again.Run.PlanJson);
    }

    [Fact]
    public void ReplacePlan_IsWhatTheStoreHoldsWhenReopened()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        string oldHash;
        using (var s = MeasurementStore.Create(path, "r", "{\"plan\":1}", Provenance(), T0))
        {
            oldHash = s.Run.PlanHash;
            s.ReplacePlan("{\"plan\":2}");
        }

        using var again = MeasurementStore.Open(path, T0, readOnly: true);
        Assert.Equal("{\"plan\":2}", again.Run.PlanJson);
        Assert.NotEqual(oldHash, again.Run.PlanHash);
        Assert.Equal(64, again.Run.PlanHash.Length);
    }

    [Fact]
    public void Open_TextFile_SaysItIsNotAnSqliteFile()
    {
        var path = Path.Combine(TestPlans.TempDir(), "notes.db");
        File.WriteAllText(path, "these are not measurements\n" + new string('x', 200));
        var ex = Assert.Throws<MeasurementStoreException>(() => MeasurementStore.Open(path, T0));
        Assert.Contains("not a CimHil measurement database (not an SQLite file)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ForeignSqliteDatabase_SaysWhoseItIs()
    {
        var path = Path.Combine(TestPlans.TempDir(), "other.db");
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "CREATE TABLE t(x); INSERT INTO t VALUES(1);";
            cmd.ExecuteNonQuery();
        }

        var ex = Assert.Throws<MeasurementStoreException>(() => MeasurementStore.Open(path, T0));
        Assert.Contains("another application (application_id 0x00000000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_CorruptDatabase_GivesAClearError()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0))
        {
            s.BeginProcedure("multilevel", 1, "{}", T0);
            var b = s.BeginBatch();
            for (var i = 0; i < 2000; i++)
            {
                b.Add(Read("multilevel", i / 64, i % 64, 0, 0, 1e-5));
            }

            b.Commit(T0);
        }

        // Checkpointed into the main file on close; now overwrite pages after the header with garbage.
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 8192);
        for (var i = 4096; i < bytes.Length; i += 7)
        {
            bytes[i] = 0xA5;
        }

        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<MeasurementStoreException>(() => MeasurementStore.Open(path, T0));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Contains("corrupt", StringComparison.Ordinal) || ex.Message.Contains("not a readable", StringComparison.Ordinal), ex.Message);
    }

    /// <summary>A store with <paramref name="units"/> committed units (4 reads each, one commit per unit), left open.</summary>
    internal static MeasurementStore StoreWithUnits(string path, int units)
    {
        var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0);
        s.BeginProcedure("multilevel", 1, "{}", T0);
        var b = s.BeginBatch();
        for (var u = 0; u < units; u++)
        {
            for (var seq = 0; seq < 4; seq++)
            {
                b.Add(Read("multilevel", u / 8, u % 8, 0, seq, 1e-5));
            }

            b.Complete(new UnitResult { Key = new UnitKey("multilevel", u / 8, u % 8, 0), Outcome = "converged", Pulses = 4 });
            b.Commit(T0);
        }

        return s;
    }

    /// <summary>
    /// The files of a store as a kill -9 leaves them: copied while the writer still has them open, so nothing was
    /// checkpointed and the write-ahead log holds every commit.
    /// </summary>
    private static string SnapshotWhileOpen(string path)
    {
        var copy = Path.Combine(TestPlans.TempDir(), "snapshot.db");
        File.Copy(path, copy);
        File.Copy(path + "-wal", copy + "-wal");
        File.Copy(path + ".commits", copy + ".commits");
        return copy;
    }

    [Fact]
    public void Create_WritesTheApplicationIdIntoTheMainFileBeforeAnyCheckpoint()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var s = StoreWithUnits(path, 3);
        var copy = SnapshotWhileOpen(path);
        File.Delete(copy + "-wal");

        var header = File.ReadAllBytes(copy)[68..72];

        Assert.Equal("CIMH"u8.ToArray(), header);
    }

    [Fact]
    public void Create_AfterAKillDuringCreation_ReplacesTheLeftover_AndThePathOnlyEverHoldsAWholeStore()
    {
        // A kill inside Create used to leave the store's path holding a file without its run row, which no resume could
        // open ("is missing the 'run' table", found by the kill campaign). Now a killed Create leaves only PATH.creating.
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        File.WriteAllText(path + MeasurementStore.CreatingSuffix, "half a database");

        using (var s = StoreWithUnits(path, 2))
        {
            Assert.False(File.Exists(path + MeasurementStore.CreatingSuffix));
        }

        using var again = MeasurementStore.Open(path, T0, readOnly: true);
        Assert.Equal(2L, again.Counts().Units);
        Assert.False(string.IsNullOrEmpty(again.Run.RunId));
    }

    [Fact]
    public void Open_KilledBeforeTheFirstCheckpoint_OpensWithEveryCommittedUnit()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var s = StoreWithUnits(path, 30);
        var copy = SnapshotWhileOpen(path);

        using var again = MeasurementStore.Open(copy, T0);

        Assert.Equal((120L, 30L, 1L), again.Counts());
        Assert.Equal(2, again.Session);
    }

    [Fact]
    public void Open_WalWithADamagedCommittedFrame_IsRefusedNamingWhatWasLostAndKeepsTheLog()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var s = StoreWithUnits(path, 40);
        var copy = SnapshotWhileOpen(path);

        // Flip 16 bytes in the page of the middle frame (WAL: 32-byte header, frames of a 24-byte header plus one page).
        var wal = File.ReadAllBytes(copy + "-wal");
        var pageSize = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(wal.AsSpan(8));
        var frames = (wal.Length - 32) / (24 + pageSize);
        var page = 32 + (frames / 2 * (24 + pageSize)) + 24;
        for (var i = 100; i < 116; i++)
        {
            wal[page + i] ^= 0xFF;
        }

        File.WriteAllBytes(copy + "-wal", wal);

        var ex = Assert.Throws<MeasurementStoreException>(() => MeasurementStore.Open(copy, T0));
        var readOnly = Assert.Throws<MeasurementStoreException>(() => MeasurementStore.Open(copy, T0, readOnly: true));

        var got = System.Text.RegularExpressions.Regex.Match(ex.Message, "lost committed data: expected 40 units / got ([0-9]+) ");
        Assert.True(got.Success, ex.Message);
        Assert.InRange(int.Parse(got.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 39);
        Assert.Contains($"write-ahead log {copy}-wal ({wal.Length} bytes) is damaged", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"keep a copy of {copy}, {copy}-wal and {copy}.commits", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ex.Message, readOnly.Message);

        // Nothing was written: no session row, no checkpoint of the readable part, the damaged log is kept as found.
        Assert.Equal(wal, File.ReadAllBytes(copy + "-wal"));
    }

    [Fact]
    public void Open_ProcessDiedBetweenCommitAndAcknowledgement_OpensAndCatchesTheJournalUp()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var s = StoreWithUnits(path, 5);
        var copy = SnapshotWhileOpen(path);

        // Drop the last acknowledgement (32 bytes) and tear the one before, as a death mid-append would.
        var journal = File.ReadAllBytes(copy + ".commits");
        File.WriteAllBytes(copy + ".commits", journal[..^40]);

        using (var again = MeasurementStore.Open(copy, T0))
        {
            Assert.Equal(5L, again.Counts().Units);
        }

        // The journal was cut at its last intact record and caught up with the store: header + 4 acknowledged + 1 catch-up.
        Assert.Equal(48 + (5 * 32), new FileInfo(copy + ".commits").Length);
        using var third = MeasurementStore.Open(copy, T0);
        Assert.Equal(3, third.Session);
    }

    [Fact]
    public void CsvExport_WritesEveryRecordWithItsKeyAndIsoTimestamps()
    {
        var dir = TestPlans.TempDir();
        var path = Path.Combine(dir, "run.db");
        using var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0);
        s.BeginProcedure("multilevel", 1, "{}", T0);
        var b = s.BeginBatch();
        b.Add(Read("multilevel", 3, 1, 2, 0, 1.25e-5));
        b.Add(Measurement.FromPulse(new RecordKey("multilevel", 3, 1, 2, 1), "verify", new PulseResult(new CellAddress(3, 1), new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.5, WidthSeconds = 1e-7 }, T0)));
        b.Complete(new UnitResult { Key = new UnitKey("multilevel", 3, 1, 2), Outcome = "converged", Pulses = 1 });
        b.Commit(T0);
        var files = CsvExport.Write(s, Path.Combine(dir, "csv"));
        var lines = File.ReadAllLines(files[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("procedure,row,column,step,seq,kind,role,polarity,voltageV", lines[0], StringComparison.Ordinal);
        Assert.Equal("multilevel,3,1,2,0,read,final,,0.2,,,,2.5E-06,1.25E-05,1E-05,,,2025-01-01T00:00:00.0000000+00:00,1,", lines[1]);
        Assert.StartsWith("multilevel,3,1,2,1,pulse,verify,reset,1.5,1E-07", lines[2], StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(files[1]).Length);
        Assert.Contains(File.ReadAllLines(files[2]), l => l == "driver,smu-matrix");
    }
}

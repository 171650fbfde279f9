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
    public void BeginProcedure_WithOtherParametersOnResume_IsRefused()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0))
        {
            s.BeginProcedure("drift", 1, "{\"a\":1}", T0);
        }

        using var again = MeasurementStore.Open(path, T0);
        again.BeginProcedure("drift", 1, "{\"a\":1}", T0);
        Assert.Throws<MeasurementStoreException>(() => again.BeginProcedure("drift", 1, "{\"a\":2}", T0));
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

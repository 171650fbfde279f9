using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using Microsoft.Data.Sqlite;

namespace CimHil.Characterization.Tests;

/// <summary>Records of aborted attempts and of uncertain pulses in the store (MeasurementStore.Attempts.cs, UnitBatch).</summary>
public sealed class MeasurementStoreAttemptTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RunProvenance Provenance() => new()
    {
        Chip = new ChipIdentity("CimHil", "X1", "SN7", "fw2", DeviceTechnology.Rram),
        Geometry = new ArrayGeometry(4, 4),
        VirtualClock = true,
        Driver = "cimhil-board",
        SoftwareVersion = "0.1.0",
    };

    private static readonly ProgramPulse Set = new() { Polarity = PulsePolarity.Set, AmplitudeV = 1.1, WidthSeconds = 1e-7 };

    private static Measurement Verify(int col, int seq, double g) =>
        Measurement.FromRead(new RecordKey("multilevel", 0, col, 0, seq), "verify", 0.2, g * 0.2, T0.AddSeconds(seq), 1e-5);

    private static Measurement Pulse(int col, int seq) =>
        Measurement.FromPulse(new RecordKey("multilevel", 0, col, 0, seq), "verify", new PulseResult(new CellAddress(0, col), Set, T0.AddSeconds(seq)), 1e-5);

    [Fact]
    public void AbortedBatch_IsWrittenOnDispose_AsAnUnfinishedUnit_AndTheRedoContinuesAfterItsLastSeq()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0))
        {
            s.BeginProcedure("multilevel", 1, "{}", T0);
            void AbortMidUnit()
            {
                using var b = s.BeginBatch();
                b.Add(Verify(0, 0, 5e-6));
                b.Add(Pulse(0, 1));
                b.Add(Verify(0, 2, 7e-6));
                b.Complete(new UnitResult { Key = new UnitKey("multilevel", 0, 1, 0), Outcome = "converged" });
                b.Add(Verify(1, 0, 1e-5));
                throw new TimeoutException("link down");
            }

            var ex = Assert.Throws<TimeoutException>(AbortMidUnit);
            Assert.Equal("link down", ex.Message);

            // Nothing measured is lost: 4 records and the one finished unit; cell (0,0) is unfinished, its next seq is 3.
            Assert.Equal((4L, 1L, 1L), s.Counts());
            Assert.Equal(new Dictionary<UnitKey, int> { [new UnitKey("multilevel", 0, 0, 0)] = 3 }, s.NextSeqOfUnfinishedUnits("multilevel"));
            Assert.Equal(1, s.PulseRecordCounts(MeasurementKind.Pulse).Confirmed);
        }

        using (var s = MeasurementStore.Open(path, T0.AddHours(1)))
        {
            // The resumed session redoes (0,0) after the stored records: no key collides.
            var b = s.BeginBatch();
            b.Add(Verify(0, 3, 6e-6));
            b.Add(Measurement.FromRead(new RecordKey("multilevel", 0, 0, 0, 4), "final", 0.2, 1e-5 * 0.2, T0.AddHours(1), 1e-5));
            b.Complete(new UnitResult { Key = new UnitKey("multilevel", 0, 0, 0), Outcome = "converged", ValueS = 1e-5 });
            b.Commit(T0.AddHours(1));
            Assert.Empty(s.NextSeqOfUnfinishedUnits("multilevel"));

            // Readers (calibration) see the attempt that finished the unit; the export sees everything.
            Assert.Equal([3, 4], s.Measurements("multilevel").Where(m => m.Key.Column == 0).Select(m => m.Key.Seq));
            Assert.Equal([0, 1, 2, 3, 4], s.Measurements("multilevel", includeUnfinished: true).Where(m => m.Key.Column == 0).Select(m => m.Key.Seq));
            Assert.Equal([0], s.Measurements("multilevel").Where(m => m.Key.Column == 1).Select(m => m.Key.Seq));
        }
    }

    [Fact]
    public void UncertainPulses_RoundTripWithTheirOutcome_AndOneNotAppliedDoesNotStartTheDrift()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0);
        s.BeginProcedure("multilevel", 1, "{}", T0);
        var b = s.BeginBatch();
        b.Add(Pulse(0, 0));
        b.Add(Measurement.FromUncertainPulse(new RecordKey("multilevel", 0, 0, 0, 1), "verify", Set, Uncertain(true, T0.AddSeconds(10))));
        b.Add(Measurement.FromUncertainPulse(new RecordKey("multilevel", 0, 0, 0, 2), "verify", Set, Uncertain(null, T0.AddSeconds(20))));
        b.Add(Measurement.FromUncertainPulse(new RecordKey("multilevel", 0, 0, 0, 3), "verify", Set, Uncertain(false, T0.AddSeconds(30))));
        b.Complete(new UnitResult { Key = new UnitKey("multilevel", 0, 0, 0), Outcome = "converged" });
        b.Commit(T0);

        Assert.Equal((1L, 1L, 1L, 1L), s.PulseRecordCounts(MeasurementKind.Pulse));
        Assert.Equal([null, UncertainOutcome.Applied, UncertainOutcome.Unknown, UncertainOutcome.NotApplied], s.Measurements("multilevel").Select(m => m.Uncertain));
        Assert.Equal([true, true, false, false], s.Measurements("multilevel").Select(m => m.IsAppliedPulse));
        Assert.Equal(1.1, s.Measurements("multilevel").Last().VoltageV);

        // The pulse shown not applied (at 30 s) never reached the cell: the last pulse is the unknown one at 20 s.
        Assert.Equal(T0.AddSeconds(20), s.LastPulseTimes("multilevel", 0)[(0, 0)]);
    }

    [Fact]
    public void SchemaVersion1Store_GainsTheUncertainColumnOnItsFirstWrite()
    {
        var path = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var s = MeasurementStore.Create(path, "r", "{}", Provenance(), T0))
        {
            s.BeginProcedure("multilevel", 1, "{}", T0);
        }

        // What a store written before uncertain pulses were recorded looks like.
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "ALTER TABLE measurements DROP COLUMN uncertain; PRAGMA user_version=1;";
            cmd.ExecuteNonQuery();
        }

        using (var old = MeasurementStore.Open(path, T0, readOnly: true))
        {
            Assert.Empty(old.Measurements());
            Assert.Equal((0L, 0L, 0L, 0L), old.PulseRecordCounts(MeasurementKind.Pulse));
        }

        using (var s = MeasurementStore.Open(path, T0))
        {
            var b = s.BeginBatch();
            b.Add(Measurement.FromUncertainPulse(new RecordKey("multilevel", 0, 0, 0, 0), "verify", Set, Uncertain(true, T0)));
            b.Commit(T0);
            Assert.Equal(UncertainOutcome.Applied, s.Measurements("multilevel", includeUnfinished: true).Single().Uncertain);
        }

        using var check = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal((long)MeasurementStore.SchemaVersion, version.ExecuteScalar());
    }

    private static UncertainPulseException Uncertain(bool? applied, DateTimeOffset at) =>
        new(new CellAddress(0, 0), "CELL:PROG 0,0,SET,1.1,1E-07,DEF,DEF", applied, at, new IOException("link dropped"));
}

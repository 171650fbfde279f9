using CimHil.Characterization.Import;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Cli.Tests.Import;

/// <summary>Event order, steps and sequence numbers for the kinds the calibration tests do not cover.</summary>
public class ImportLayoutTests
{
    [Fact]
    public async Task ReadNoise_WhitespaceFileOutOfOrder_IsOrderedByItsTimestamps()
    {
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "noise.txt", """
            # r c  I(A)     time
            0 1  2.0e-6   2026-03-01T10:00:02Z
            0 1  1.0e-6   2026-03-01T10:00:01Z
              0   1   3.0e-6   1772359203
            """);
        var map = ImportMapping.Parse("""
            {
              "kind": "readNoise",
              "format": { "type": "delimited", "delimiter": "whitespace", "header": false },
              "fields": { "row": { "column": 0 }, "column": { "column": 1 }, "value": { "column": 2, "unit": "A" }, "timestamp": { "column": 3 } },
              "constants": { "readVoltageV": 0.1, "targetS": 20e-6 }
            }
            """);
        var db = Path.Combine(dir, "x.db");

        await MeasurementImporter.ImportAsync([data], map, db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var reads = store.Measurements(ProcedureNames.ReadNoise, MeasurementRoles.Noise).ToList();
        Assert.Equal([0, 1, 2], reads.Select(m => m.Key.Seq));
        Assert.Equal([10e-6, 20e-6, 30e-6], reads.Select(m => Math.Round(m.ConductanceS!.Value, 12)));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 0, 3, TimeSpan.Zero), reads[2].Timestamp);
        Assert.All(reads, m => Assert.Equal(20e-6, m.TargetS));
        Assert.Contains("\"reads\": 3", store.Run.PlanJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cycling_SequenceColumnOrdersTheEvents_CycleIsTheStep()
    {
        var dir = ImportFiles.TempDir();
        var data = ImportFiles.Write(dir, "cycles.csv", """
            seq,cell,cycle,R_kohm,state
            3,5,1,10,lrs
            1,5,0,10,lrs
            2,5,0,100,hrs
            4,5,1,100,hrs
            """);
        var map = ImportMapping.Parse("""
            {
              "kind": "cycling",
              "geometry": { "rows": 4, "columns": 4 },
              "fields": { "sequence": { "column": "seq" }, "cell": { "column": "cell" }, "cycle": { "column": "cycle" }, "value": { "column": "R_kohm", "unit": "kohm" }, "phase": { "column": "state" } },
              "constants": { "temperatureK": 300 }
            }
            """);
        var db = Path.Combine(dir, "x.db");

        await MeasurementImporter.ImportAsync([data], map, db, new ImportOptions(), CancellationToken.None);

        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var reads = store.Measurements("cycling").ToList();
        var notes = store.ImportAnnotations();
        Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1)], reads.Select(m => (m.Key.Step, m.Key.Seq)));
        Assert.Equal(["lrs", "hrs", "lrs", "hrs"], reads.Select(m => notes[m.Key].Phase));
        Assert.Equal([3, 4, 2, 5], reads.Select(m => notes[m.Key].SourceLine));
        Assert.All(reads, m => Assert.Equal((1, 1), (m.Key.Row, m.Key.Column)));
        Assert.Equal([1e-4, 1e-5, 1e-4, 1e-5], reads.Select(m => Math.Round(m.ConductanceS!.Value, 12)));
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CimHil.Characterization.Store;

namespace CimHil.Server.Tests;

/// <summary>
/// import, evaluate and worst-case over real HTTP: chip-free workflows in a lane of their own, so they run while a
/// characterisation holds the chip; each followed live; bad requests refused with a 4xx naming the field.
/// </summary>
public sealed class ChipFreeWorkflowApiTests
{
    /// <summary>The CSV layout of docs/import.md: row, column, conductance in µS, target in µS, read index.</summary>
    private const string Mapping = """
        {
          "kind": "programVerify",
          "format": { "type": "delimited", "delimiter": "comma", "header": true },
          "fields": {
            "row": { "column": "row" },
            "column": { "column": "col" },
            "value": { "column": "G_uS", "unit": "uS" },
            "target": { "column": "target_uS", "unit": "µS" },
            "repeat": { "column": "read" }
          },
          "constants": { "readVoltageV": 0.2 }
        }
        """;

    /// <summary>8×8 cells, alternately at 20 and 60 µS (±0.5 µS, seeded), read twice: 128 rows.</summary>
    private static string WriteCsv(string dir)
    {
        var random = new Random(5);
        var csv = new StringBuilder("row,col,G_uS,target_uS,read\n");
        for (var r = 0; r < 8; r++)
        {
            for (var c = 0; c < 8; c++)
            {
                var target = (r + c) % 2 == 0 ? 20.0 : 60.0;
                for (var read = 0; read < 2; read++)
                {
                    csv.Append(CultureInfo.InvariantCulture, $"{r},{c},{target + (random.NextDouble() - 0.5):F4},{target},{read}\n");
                }
            }
        }

        var path = Path.Combine(dir, "array.csv");
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    private static async Task<JsonElement> StartAsync(ServedBench bench, string kind, object body)
    {
        using var response = await bench.Http.PostAsJsonAsync($"api/workflows/{kind}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{kind}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static Task<JsonElement> EndOf(EventStream events, string id) => events.WaitForAsync(e =>
        EventStream.Is(e, "operation") && e.GetProperty("data").GetProperty("id").GetString() == id
        && e.GetProperty("data").GetProperty("status").GetString() is "finished" or "failed" or "stopped", TimeSpan.FromMinutes(6));

    [Fact]
    public async Task Import_Calibrate_Evaluate_WorstCase_RunWithoutTheChip_WhileACharacterisationHoldsIt()
    {
        await using var bench = await ServedBench.StartAsync(size: 16, configure: ServedBench.SmallRun);
        await using var events = await EventStream.OpenAsync(bench.Http);
        var csv = WriteCsv(bench.Directory);
        var map = Path.Combine(bench.Directory, "mapping.json");
        await File.WriteAllTextAsync(map, Mapping);

        // The chip is taken by a characterisation for all that follows.
        var characterise = await bench.StartCharacterizationAsync();

        // One row that does not parse, skipped (skipBadRows) with a warning.
        await File.AppendAllTextAsync(csv, "7,x,20.0,20,0\n");
        var import = await StartAsync(bench, "import", new { files = new[] { csv }, map, skipBadRows = true });
        var imported = (await EndOf(events, import.GetProperty("id").GetString()!)).GetProperty("data");
        Assert.True(imported.GetProperty("status").GetString() == "finished", imported.ToString());

        // The warning went out live, on the import's operation.
        var warning = Assert.Single(events.Seen, e => EventStream.Is(e, "warning") && e.GetProperty("operation").GetString() == import.GetProperty("id").GetString()).GetProperty("data");
        Assert.Equal("Warning", warning.GetProperty("level").GetString());
        Assert.StartsWith("Import skipped ", warning.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("array.csv", warning.GetProperty("message").GetString(), StringComparison.Ordinal);
        var run = import.GetProperty("run").GetString()!;
        var db = Path.Combine(bench.Directory, "runs", run, "measurements.db");
        using (var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            Assert.Equal(128, store.Counts().Measurements);
        }

        Assert.Equal(128, imported.GetProperty("result").GetProperty("records").GetInt32());

        var calibrate = await StartAsync(bench, "calibrate", new { run });
        var calibrated = (await EndOf(events, calibrate.GetProperty("id").GetString()!)).GetProperty("data");
        Assert.True(calibrated.GetProperty("status").GetString() == "finished", calibrated.ToString());

        var evaluate = await StartAsync(bench, "evaluate", new { run, chips = 4, images = 100 });
        var evaluated = (await EndOf(events, evaluate.GetProperty("id").GetString()!)).GetProperty("data");
        Assert.True(evaluated.GetProperty("status").GetString() == "finished", evaluated.ToString());
        var accuracies = evaluated.GetProperty("result").GetProperty("chipAccuracies").EnumerateArray().Select(a => a.GetDouble()).ToList();
        Assert.Equal(4, accuracies.Count);
        var chips = events.Seen.Where(e => EventStream.Is(e, "stage") && e.GetProperty("operation").GetString() == evaluate.GetProperty("id").GetString()
            && e.GetProperty("data").GetProperty("record").GetString() == "MonteCarloChipProgress").Select(e => e.GetProperty("data").GetProperty("progress")).ToList();
        Assert.Equal(4, chips.Count);
        Assert.Equal(accuracies.Order(), chips.Select(c => c.GetProperty("chipAccuracy").GetDouble()).Order());
        Assert.True(File.Exists(Path.Combine(bench.Directory, "runs", run, "evaluate-monte-carlo.json")));

        var worst = await StartAsync(bench, "worst-case", new { run, ks = new[] { 2.0, 0.0 }, images = 50 });
        var searched = (await EndOf(events, worst.GetProperty("id").GetString()!)).GetProperty("data");
        Assert.True(searched.GetProperty("status").GetString() == "finished", searched.ToString());
        var points = searched.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([0.0, 2.0], points.Select(p => p.GetProperty("k").GetDouble()));
        var bounds = events.Seen.Where(e => EventStream.Is(e, "stage") && e.GetProperty("operation").GetString() == worst.GetProperty("id").GetString()
            && e.GetProperty("data").GetProperty("record").GetString() == "WorstCaseStepProgress")
            .Select(e => e.GetProperty("data").GetProperty("progress")).Where(p => p.GetProperty("boundFinished").GetBoolean()).ToList();
        Assert.Equal(points.Select(p => p.GetProperty("accuracy").GetDouble()), bounds.Select(b => b.GetProperty("accuracy").GetDouble()));

        // All of it while the characterisation held the chip (it is a 16×16 plan of many seconds), or it ended meanwhile.
        var operations = await bench.Http.GetFromJsonAsync<JsonElement>("api/operations");
        Assert.Contains(operations.EnumerateArray(), o => o.GetProperty("id").GetString() == characterise.GetProperty("id").GetString());
        await bench.WaitEndedAsync();
        Assert.DoesNotContain("busy", bench.ServerLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRequests_Are4xxNamingTheField()
    {
        await using var bench = await ServedBench.StartAsync(size: 8, configure: ServedBench.SmallRun);
        var csv = WriteCsv(bench.Directory);
        var map = Path.Combine(bench.Directory, "mapping.json");
        await File.WriteAllTextAsync(map, Mapping);
        var noCalibration = Path.Combine(bench.Directory, "runs", "20200101-000000");
        Directory.CreateDirectory(noCalibration);

        async Task<(HttpStatusCode Status, string Error)> Post(string kind, object body)
        {
            using var response = await bench.Http.PostAsJsonAsync($"api/workflows/{kind}", body);
            return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!);
        }

        Assert.Equal((HttpStatusCode.BadRequest, "run: required: the run whose calibrated model to evaluate"), await Post("evaluate", new { }));
        Assert.Equal(HttpStatusCode.NotFound, (await Post("evaluate", new { run = "20200101-000000" })).Status);
        Assert.Contains("has no calibration.json", (await Post("worst-case", new { run = "20200101-000000" })).Error, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(noCalibration, "calibration.json"), "{}");
        Assert.Equal((HttpStatusCode.BadRequest, "chips: 1 must be between 2 and 1000000 (a standard deviation needs two chips)"), await Post("evaluate", new { run = "20200101-000000", chips = 1 }));
        Assert.Equal((HttpStatusCode.BadRequest, "images: 20000 must be between 1 and 10000 (the test set)"), await Post("evaluate", new { run = "20200101-000000", images = 20000 }));
        Assert.Equal((HttpStatusCode.BadRequest, "ks[1]: 101 must be between 0 and 100"), await Post("worst-case", new { run = "20200101-000000", ks = new[] { 1.0, 101.0 } }));
        Assert.Equal((HttpStatusCode.BadRequest, "files: required: one or more measurement files to import"), await Post("import", new { map }));
        var missingFile = await Post("import", new { files = new[] { csv, "nope.csv" }, map });
        Assert.Equal(HttpStatusCode.BadRequest, missingFile.Status);
        Assert.StartsWith("files[1]: no file nope.csv", missingFile.Error, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.BadRequest, "map: required: the mapping file that says which column holds what (docs/import.md)"), await Post("import", new { files = new[] { csv } }));
        await File.WriteAllTextAsync(map, """{ "kind": "programVerify", "fields": { "value": { "column": 1 } }, "colour": 3 }""");
        var badMap = await Post("import", new { files = new[] { csv }, map });
        Assert.Equal(HttpStatusCode.BadRequest, badMap.Status);
        Assert.Contains("colour", badMap.Error, StringComparison.Ordinal);

        // Nothing was started, and no run folder was made but the test's own.
        Assert.Equal(HttpStatusCode.NoContent, (await bench.Http.GetAsync("api/operation")).StatusCode);
        Assert.Equal(["20200101-000000"], Directory.GetDirectories(Path.Combine(bench.Directory, "runs")).Select(Path.GetFileName));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CimHil.Characterization.Store;
using CimHil.Server.Operations;

namespace CimHil.Server.Tests;

/// <summary>
/// Workflows over real HTTP: a characterisation followed live to the end, the chip refused to a second writer, Stop
/// (safe state, resumable store) and resume giving the uninterrupted experiment, the runs and their measurements.
/// </summary>
public sealed class WorkflowApiTests
{
    private static List<string> Units(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return s.Units().Select(u => $"{u.Key} {u.Outcome} {u.ValueS:R} {u.Pulses}").Order(StringComparer.Ordinal).ToList();
    }

    private static long Records(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return s.Counts().Measurements;
    }

    private static string Db(ServedBench bench, JsonElement op) =>
        Path.Combine(bench.Directory, "runs", op.GetProperty("run").GetString()!, "measurements.db");

    [Fact]
    public async Task Characterize_IsFollowedLive_ToTheEnd_AndItsMeasurementsArePagedExactly()
    {
        await using var bench = await ServedBench.StartAsync(size: 12);
        await using var events = await EventStream.OpenAsync(bench.Http);

        var started = await bench.StartCharacterizationAsync();
        var finished = await events.WaitForAsync(e => EventStream.IsOperation(e, "finished") || EventStream.IsOperation(e, "failed"));

        Assert.Equal("finished", finished.GetProperty("data").GetProperty("status").GetString());
        Assert.True(finished.GetProperty("data").GetProperty("safeState").GetBoolean());
        var seen = events.Seen;
        Assert.True(EventStream.IsOperation(seen[0], "running"), seen[0].ToString());
        var progress = seen.Where(e => EventStream.Is(e, "progress")).Select(e => e.GetProperty("data")).ToList();
        Assert.Contains(progress, p => p.GetProperty("progress").GetProperty("procedure").GetString() == "multilevel");
        Assert.Contains(progress, p => p.TryGetProperty("etaSeconds", out var eta) && eta.ValueKind == JsonValueKind.Number);
        Assert.All(progress, p => Assert.Equal("CharacterizationProgress", p.GetProperty("record").GetString()));
        var stored = seen.Where(e => EventStream.Is(e, "stored")).Select(e => e.GetProperty("data")).ToList();
        Assert.True(stored.Count >= 3, $"{stored.Count} commits seen");

        // Every record the store holds was announced live, once.
        var db = Db(bench, started);
        var records = Records(db);
        Assert.Equal(records, stored.Sum(s => s.GetProperty("measurements").GetInt64()));
        Assert.Equal(records, stored[^1].GetProperty("totalMeasurements").GetInt64());
        Assert.Equal(records, finished.GetProperty("data").GetProperty("result").GetProperty("measurements").GetInt64());

        // Pages of 1000 hold exactly the store's rows, in key order, none twice.
        var run = started.GetProperty("run").GetString();
        var rows = new List<JsonElement>();
        for (var offset = 0; ; offset += 1000)
        {
            var page = await bench.Http.GetFromJsonAsync<JsonElement>($"api/runs/{run}/measurements?offset={offset}&limit=1000");
            Assert.Equal(records, page.GetProperty("total").GetInt64());
            var items = page.GetProperty("items").EnumerateArray().ToList();
            rows.AddRange(items);
            if (items.Count < 1000)
            {
                break;
            }
        }

        Assert.Equal(records, rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => $"{r.GetProperty("procedure")}/{r.GetProperty("row")}/{r.GetProperty("column")}/{r.GetProperty("step")}/{r.GetProperty("seq")}").Distinct().Count());
        Assert.Contains(rows, r => r.GetProperty("kind").GetString() == "read" && r.GetProperty("conductanceS").GetDouble() > 1e-6);

        var runs = await bench.Http.GetFromJsonAsync<JsonElement>("api/runs");
        var listed = Assert.Single(runs.EnumerateArray());
        Assert.Equal(run, listed.GetProperty("id").GetString());
        Assert.True(listed.GetProperty("hasDatabase").GetBoolean());
        Assert.False(listed.GetProperty("hasResults").GetBoolean());
        var units = await bench.Http.GetFromJsonAsync<JsonElement>($"api/runs/{run}/units");
        Assert.Equal(Units(db).Count, units.GetArrayLength());

        // The map the page loads when a run stops or ends shows each cell's last read as the stream delivered them, in the
        // order they were taken (it once took the last in the store's key order, procedures by name: the stuck map's reads
        // after RESET hid every later multilevel and read-noise value, and the map went dark when a run stopped).
        var lastRead = new Dictionary<(int, int), double>();
        foreach (var read in stored.SelectMany(s => s.GetProperty("reads").EnumerateArray()))
        {
            lastRead[(read[0].GetInt32(), read[1].GetInt32())] = read[2].GetDouble();
        }

        var map = (await bench.Http.GetFromJsonAsync<JsonElement>($"api/runs/{run}/map")).EnumerateArray()
            .ToDictionary(c => (c[0].GetInt32(), c[1].GetInt32()), c => c[2].GetDouble());
        Assert.NotEmpty(lastRead);
        Assert.All(lastRead, kv => Assert.Equal(kv.Value, map[kv.Key]));
    }

    [Fact]
    public async Task SecondWriter_WhileACharacterisationRuns_Is409NamingWhatHoldsTheChip()
    {
        // Held at a commit while the second writer asks: unheld, a 16×16 run once ended first on a clean CI clone (202).
        var hold = AtMultilevelCommits();
        await using var bench = await ServedBench.StartAsync(size: 16, hold: hold);
        var started = await bench.StartCharacterizationAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await hold.NextAsync(wait.Token);

        using var second = await bench.Http.PostAsJsonAsync("api/workflows/characterize", new { plan = bench.PlanPath });
        using var program = await bench.Http.PostAsJsonAsync("api/chip/program", new { row = 0, column = 0, polarity = "set", amplitudeV = 1.0 });
        using var read = await bench.Http.GetAsync("api/chip/cells/0/0");
        var error = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, program.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, read.StatusCode);
        Assert.Contains($"characterize of run {started.GetProperty("run").GetString()} holds it", error, StringComparison.Ordinal);
        hold.Open();
        await bench.WaitEndedAsync();
    }

    /// <summary>Holds a characterisation after each commit that stores multilevel units (the procedure the page's histograms show).</summary>
    public static CommitHold AtMultilevelCommits() => new(s => s.Units.Any(u => u.Procedure == "multilevel"));

    [Fact]
    public async Task Stop_WhileHeldAtACommit_EndsAtThatCommit_InTheSafeState_AndResume_GivesTheUninterruptedExperiment()
    {
        // The uninterrupted experiment, on a pristine emulator.
        string reference;
        await using (var full = await ServedBench.StartAsync(size: 12))
        {
            var op = await full.StartCharacterizationAsync();
            Assert.Equal("finished", (await full.WaitEndedAsync()).GetProperty("status").GetString());
            reference = Path.Combine(Path.GetTempPath(), $"cimhil-server-reference-{Guid.NewGuid():N}.db");
            File.Copy(Db(full, op), reference);
        }

        // The run is held after its first multilevel commit, Stop is sent while it waits there, then it is let go: it
        // must end at exactly that commit (no race with the end of a small array).
        var hold = AtMultilevelCommits();
        await using var bench = await ServedBench.StartAsync(size: 12, hold: hold);
        await using var events = await EventStream.OpenAsync(bench.Http);
        var started = await bench.StartCharacterizationAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var heldAt = await hold.NextAsync(wait.Token);
        using var stop = await bench.Http.PostAsync("api/operation/stop", null);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        hold.Open();
        var stopped = await events.WaitForAsync(e => Is(e, "stopped", "finished", "failed"));

        Assert.Equal("stopped", stopped.GetProperty("data").GetProperty("status").GetString());
        Assert.True(stopped.GetProperty("data").GetProperty("safeState").GetBoolean());
        var db = Db(bench, started);
        Assert.Equal(heldAt.TotalUnits, Units(db).Count);
        Assert.Equal(heldAt.TotalMeasurements, Records(db));
        Assert.Equal(heldAt.TotalMeasurements, events.Seen.Where(e => EventStream.Is(e, "stored")).Last().GetProperty("data").GetProperty("totalMeasurements").GetInt64());
        Assert.InRange(heldAt.TotalUnits, 1, Units(reference).Count - 1);
        using var again = await bench.Http.PostAsync("api/operation/stop", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        await bench.StartCharacterizationAsync(resume: started.GetProperty("run").GetString());
        var resumed = await events.WaitForAsync(e => Is(e, "stopped", "finished", "failed"));

        Assert.Equal("finished", resumed.GetProperty("data").GetProperty("status").GetString());
        Assert.Equal(Units(reference), Units(db));
        Assert.Equal(Records(reference), Records(db));
        File.Delete(reference);
    }

    private static bool Is(JsonElement e, params string[] statuses) =>
        EventStream.Is(e, "operation") && statuses.Contains(e.GetProperty("data").GetProperty("status").GetString());

    [Fact]
    public async Task Start_WithAWrongPlanOrAnUnknownRun_Is4xxNamingIt_AndTouchesNothing()
    {
        await using var bench = await ServedBench.StartAsync(size: 8);

        using var noPlan = await bench.Http.PostAsJsonAsync("api/workflows/characterize", new { plan = "nope.json" });
        using var badPlan = await bench.Http.PostAsJsonAsync("api/workflows/characterize", new { planJson = new { name = "x", readVoltageV = 0.9, multilevel = new { targetsS = new[] { 1e-5 } } } });
        using var noRun = await bench.Http.PostAsJsonAsync("api/workflows/characterize", new { resume = "20990101-000000" });
        using var escape = await bench.Http.GetAsync("api/runs/..%2F..%2Fetc/measurements");
        using var kind = await bench.Http.PostAsJsonAsync("api/workflows/dance", new { });

        Assert.Equal(HttpStatusCode.BadRequest, noPlan.StatusCode);
        Assert.Contains("no plan file nope.json", await noPlan.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badPlan.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noRun.StatusCode);
        Assert.Contains("20990101-000000", await noRun.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, escape.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await bench.Http.GetAsync("api/operation")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(bench.Directory, "runs")) && Directory.EnumerateFileSystemEntries(Path.Combine(bench.Directory, "runs")).Any());
    }

    /// <summary>Every cell the store has a conductance for (a read, or a unit's resulting value), from the store.</summary>
    private static SortedSet<(int, int)> CellsWithAConductance(string db)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return [.. s.Measurements(includeUnfinished: true).Where(m => m.Kind == MeasurementKind.Read && m.ConductanceS is not null).Select(m => (m.Key.Row, m.Key.Column))
            .Union(s.Units().Where(u => u.ValueS is not null).Select(u => (u.Key.Row, u.Key.Column)))];
    }

    [Fact]
    public async Task StoredEvents_OfAStoppedAndResumedRun_NameEveryCellTheStoreHasAConductanceFor()
    {
        var hold = AtMultilevelCommits();
        await using var bench = await ServedBench.StartAsync(size: 12, hold: hold);
        await using var events = await EventStream.OpenAsync(bench.Http);
        var started = await bench.StartCharacterizationAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await hold.NextAsync(wait.Token);
        using (var stop = await bench.Http.PostAsync("api/operation/stop", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        }

        hold.Open();
        Assert.Equal("stopped", (await events.WaitForAsync(e => Is(e, "stopped", "finished", "failed"))).GetProperty("data").GetProperty("status").GetString());
        await bench.StartCharacterizationAsync(resume: started.GetProperty("run").GetString());

        // What the page does on a resume, over and over while the run writes its store: every read succeeds (a reader
        // opening between a commit and its journal entry once read as lost commits).
        var run = started.GetProperty("run").GetString();
        var reads = 0;
        var failures = new List<string>();
        var ending = events.WaitForAsync(e => Is(e, "stopped", "finished", "failed"));
        // At least a few reads even when the resumed run ends quickly (a fast machine once finished it after 3 reads);
        // reads after the end are harmless, reads during it are the point.
        while (!ending.IsCompleted || reads < 4)
        {
            using var units = await bench.Http.GetAsync($"api/runs/{run}/units");
            reads++;
            if (units.StatusCode != HttpStatusCode.OK)
            {
                failures.Add($"{(int)units.StatusCode} {await units.Content.ReadAsStringAsync()}");
            }
        }

        var end = await ending;
        Assert.Equal("finished", end.GetProperty("data").GetProperty("status").GetString());
        Assert.Empty(failures);

        var seen = new SortedSet<(int, int)>();
        foreach (var stored in events.Seen.Where(e => EventStream.Is(e, "stored")).Select(e => e.GetProperty("data")))
        {
            foreach (var read in stored.GetProperty("reads").EnumerateArray())
            {
                Assert.Equal(JsonValueKind.Number, read[2].ValueKind);
                seen.Add((read[0].GetInt32(), read[1].GetInt32()));
            }

            foreach (var unit in stored.GetProperty("units").EnumerateArray().Where(u => u.GetProperty("valueS").ValueKind == JsonValueKind.Number))
            {
                seen.Add((unit.GetProperty("row").GetInt32(), unit.GetProperty("column").GetInt32()));
            }
        }

        var mappable = CellsWithAConductance(Db(bench, started));
        Assert.Equal(mappable.Except(seen).Select(c => c.ToString()), []);
        Assert.Equal(mappable, seen);
    }

    [Fact]
    public async Task Start_OfAPlanPastASafetyLimit_Is422NamingTheLimit_BeforeAnythingStarts()
    {
        await using var bench = await ServedBench.StartAsync(size: 8);
        var plan = System.Text.Json.Nodes.JsonNode.Parse(ServedBench.PlanJson)!;
        plan["programVerify"]!["set"]!["maxV"] = 3.4; // hil-config.json: chip.limits.maxSetVoltageV 3.0

        using var response = await bench.Http.PostAsJsonAsync("api/workflows/characterize", new { planJson = plan });
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("programVerify.set", error, StringComparison.Ordinal);
        Assert.Contains("3.4", error, StringComparison.Ordinal);
        Assert.Contains("nothing was applied", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await bench.Http.GetAsync("api/operation")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(bench.Directory, "runs")) && Directory.EnumerateFileSystemEntries(Path.Combine(bench.Directory, "runs")).Any());
    }

    [Fact]
    public async Task Run_WithAConfiguredPlanPastASafetyLimit_Is422BeforeAnythingStarts()
    {
        await using var bench = await ServedBench.StartAsync(size: 8, configure: ServedBench.SmallRun);
        var plan = System.Text.Json.Nodes.JsonNode.Parse(ServedBench.PlanJson)!;
        plan["readVoltageV"] = 0.6; // hil-config.json: chip.limits.maxReadVoltageV 0.5
        await File.WriteAllTextAsync(bench.PlanPath, plan.ToJsonString());

        using var response = await bench.Http.PostAsJsonAsync("api/workflows/run", new { });
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;

        Assert.True(response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, $"{response.StatusCode} {error}");
        Assert.Contains(bench.PlanPath, error, StringComparison.Ordinal);
        Assert.Contains("0.6", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await bench.Http.GetAsync("api/operation")).StatusCode);
    }
}

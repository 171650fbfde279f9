using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CimHil.Characterization.Store;
using CimHil.Simulation.Engine;
using CimHil.Workflows;

namespace CimHil.Server.Tests;

/// <summary>
/// <c>run</c> and <c>calibrate</c> over real HTTP on the emulator, scaled down (<see cref="ServedBench.SmallRun"/>): the
/// live stream carries the store's commits during characterisation, one Monte-Carlo event per chip with its accuracy and
/// the worst-case steps and bounds, each equal to what the run's results hold.
/// </summary>
public sealed class RunWorkflowApiTests
{
    private static List<JsonElement> Records(EventStream events, string record) =>
        [.. events.Seen.Where(e => EventStream.Is(e, "stage") && e.GetProperty("data").GetProperty("record").GetString() == record)
            .Select(e => e.GetProperty("data").GetProperty("progress"))];

    private static List<JsonElement> Etas(EventStream events, string record) =>
        [.. events.Seen.Where(e => EventStream.Is(e, "stage") && e.GetProperty("data").GetProperty("record").GetString() == record)
            .Select(e => e.GetProperty("data").GetProperty("etaSeconds"))];

    [Fact]
    public async Task Run_StreamsStoredCommits_MonteCarloChips_AndWorstCaseSteps_MatchingItsResults()
    {
        await using var bench = await ServedBench.StartAsync(size: 12, configure: ServedBench.SmallRun);
        await using var events = await EventStream.OpenAsync(bench.Http);
        // Two OpenBLAS threads before, so the run job's own setting shows (the count is process-wide).
        Assert.True(Gemm.SetOpenBlasThreads(2), $"OpenBLAS is needed here (scripts/setup.sh installs it): {Gemm.Description}");

        using var response = await bench.Http.PostAsJsonAsync("api/workflows/run", new { });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run").GetString()!;
        var ended = await events.WaitForAsync(e => EventStream.IsOperation(e, "finished") || EventStream.IsOperation(e, "failed"), TimeSpan.FromMinutes(8));

        var op = ended.GetProperty("data");
        Assert.True(op.GetProperty("status").GetString() == "finished", op.ToString());
        Assert.True(op.GetProperty("safeState").GetBoolean());

        // As `cimhil run`: one OpenBLAS thread for the worst-case stage (RunBlasThreads).
        Assert.Equal(RunBlasThreads.Count, Gemm.OpenBlasThreads);
        var result = op.GetProperty("result");

        // The page's map fills during a run's characterisation: every record the store holds was announced, once.
        var db = Path.Combine(bench.Directory, "runs", run, "measurements.db");
        long records;
        using (var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            records = store.Counts().Measurements;
        }

        var stored = events.Seen.Where(e => EventStream.Is(e, "stored")).Select(e => e.GetProperty("data")).ToList();
        Assert.True(stored.Count >= 3, $"{stored.Count} commits seen");
        Assert.Equal(records, stored.Sum(s => s.GetProperty("measurements").GetInt64()));
        var chip = Assert.Single(Records(events, "LiveChipInfo"));
        Assert.Equal(12, chip.GetProperty("rows").GetInt32());
        Assert.Equal(run, chip.GetProperty("run").GetString());

        // One event per Monte-Carlo chip, every chip once, with the accuracy the result holds for it.
        var chips = Records(events, "MonteCarloChipProgress");
        var accuracies = result.GetProperty("monteCarlo").GetProperty("chipAccuracies").EnumerateArray().Select(a => a.GetDouble()).ToList();
        Assert.Equal(6, chips.Count);
        Assert.Equal(Enumerable.Range(0, 6), chips.Select(c => c.GetProperty("chipIndex").GetInt32()).Order());
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (double)i), chips.Select(c => c.GetProperty("done").GetDouble()));
        Assert.All(chips, c => Assert.Equal("monte-carlo", c.GetProperty("stage").GetString()));
        foreach (var c in chips)
        {
            Assert.Equal(accuracies[c.GetProperty("chipIndex").GetInt32()], c.GetProperty("chipAccuracy").GetDouble(), 12);
        }

        // Each chip after the first carries the time left (the rate of the chips so far), and so does each search step
        // after the first of the stage.
        Assert.All(Etas(events, "MonteCarloChipProgress").Skip(1), eta => Assert.Equal(JsonValueKind.Number, eta.ValueKind));
        Assert.All(Etas(events, "WorstCaseStepProgress").Skip(1), eta => Assert.Equal(JsonValueKind.Number, eta.ValueKind));

        // Worst case: steps within bounds, and one closing event per bound with the point of the result's curve.
        var steps = Records(events, "WorstCaseStepProgress");
        var bounds = steps.Where(s => s.GetProperty("boundFinished").GetBoolean()).ToList();
        var points = result.GetProperty("worstCase").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([0.0, 1.0, 3.0], bounds.Select(b => b.GetProperty("k").GetDouble()));
        for (var i = 0; i < points.Count; i++)
        {
            Assert.Equal(points[i].GetProperty("accuracy").GetDouble(), bounds[i].GetProperty("accuracy").GetDouble(), 12);
        }

        Assert.Contains(steps, s => !s.GetProperty("boundFinished").GetBoolean() && s.GetProperty("k").GetDouble() > 0 && s.GetProperty("step").GetInt32() >= 0);
        Assert.All(steps, s => Assert.InRange(s.GetProperty("accuracy").GetDouble(), 0, 1));

        // Calibrate the same run again through the API: a chip-free job writing the run's calibration.json.
        var calibration = Path.Combine(bench.Directory, "runs", run, "calibration.json");
        File.Delete(calibration);
        using var calibrate = await bench.Http.PostAsJsonAsync("api/workflows/calibrate", new { run });
        Assert.Equal(HttpStatusCode.Accepted, calibrate.StatusCode);
        var calibrated = await bench.WaitEndedAsync();
        Assert.True(calibrated.GetProperty("status").GetString() == "finished", calibrated.ToString());
        Assert.Equal(calibration, calibrated.GetProperty("result").GetProperty("calibration").GetString());
        Assert.True(File.Exists(calibration));
        Assert.False(calibrated.TryGetProperty("safeState", out var safe) && safe.ValueKind != JsonValueKind.Null, "calibrate holds no chip");
    }

    [Fact]
    public async Task Calibrate_WithoutARun_Is400NamingTheField_AndOfAnUnknownRun_Is404()
    {
        await using var bench = await ServedBench.StartAsync(size: 8);

        using var missing = await bench.Http.PostAsJsonAsync("api/workflows/calibrate", new { });
        using var unknown = await bench.Http.PostAsJsonAsync("api/workflows/calibrate", new { run = "20990101-000000" });

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("run", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("20990101-000000", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await bench.Http.GetAsync("api/operation")).StatusCode);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CimHil.Server.Tests;

/// <summary>
/// A finished run's files over real HTTP (GET api/runs/{id}/results, /calibration, /report): the bytes of the run
/// folder's results.json, calibration.json and report.html with their content types, and a 404 naming what is missing
/// for an unknown run or a run folder without them.
/// </summary>
public sealed class RunFilesApiTests
{
    private static async Task<byte[]> FetchAsync(HttpClient http, string path, string contentType)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        Assert.Equal(contentType, response.Content.Headers.ContentType?.ToString());
        return body;
    }

    [Fact]
    public async Task AFinishedRun_ServesItsResultsCalibrationAndReport_AsTheFolderHoldsThem()
    {
        await using var bench = await ServedBench.StartAsync(size: 12, configure: ServedBench.SmallRun);
        using var started = await bench.Http.PostAsJsonAsync("api/workflows/run", new { });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var run = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run").GetString()!;
        var op = await bench.WaitEndedAsync(TimeSpan.FromMinutes(8));
        Assert.True(op.GetProperty("status").GetString() == "finished", op.ToString());
        var folder = Path.Combine(bench.Directory, "runs", run);

        var results = await FetchAsync(bench.Http, $"api/runs/{run}/results", "application/json");
        var calibration = await FetchAsync(bench.Http, $"api/runs/{run}/calibration", "application/json");
        var report = await FetchAsync(bench.Http, $"api/runs/{run}/report", "text/html; charset=utf-8");

        // Byte for byte what the run wrote.
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "results.json")), results);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "calibration.json")), calibration);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "report.html")), report);

        // And the numbers the run's operation reported: six Monte-Carlo chips with their accuracies, bounds 0, 1 and 3
        // of worst case, and the store's record count.
        var served = JsonDocument.Parse(results).RootElement;
        var result = op.GetProperty("result");
        var chips = served.GetProperty("monteCarlo").GetProperty("chipAccuracies").EnumerateArray().Select(a => a.GetDouble()).ToList();
        Assert.Equal(6, chips.Count);
        Assert.Equal(result.GetProperty("monteCarlo").GetProperty("chipAccuracies").EnumerateArray().Select(a => a.GetDouble()), chips);
        Assert.All(chips, a => Assert.InRange(a, 0, 1));
        Assert.Equal([0.0, 1.0, 3.0], served.GetProperty("worstCase").GetProperty("points").EnumerateArray().Select(p => p.GetProperty("k").GetDouble()));
        Assert.Equal(result.GetProperty("measurements").GetInt64(), served.GetProperty("measurements").GetInt64());
        Assert.True(served.GetProperty("measurements").GetInt64() > 0);

        // calibration.json is the calibrated device model the results name; the report is the run's HTML page.
        Assert.Equal(Path.Combine(folder, "calibration.json"), served.GetProperty("calibration").GetString());
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(calibration).RootElement.ValueKind);
        var html = System.Text.Encoding.UTF8.GetString(report);
        Assert.StartsWith("<!DOCTYPE html>", html.TrimStart('\uFEFF'), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("data-plot=\"mc-histogram\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("results", "results.json")]
    [InlineData("calibration", "calibration.json")]
    [InlineData("report", "report.html")]
    public async Task AnUnknownRun_Is404NamingIt_AndARunWithoutTheFile_Is404NamingTheFile(string endpoint, string file)
    {
        await using var bench = await ServedBench.StartAsync(size: 8);
        Directory.CreateDirectory(Path.Combine(bench.Directory, "runs", "20990101-000000"));

        using var unknown = await bench.Http.GetAsync($"api/runs/20980101-000000/{endpoint}");
        using var empty = await bench.Http.GetAsync($"api/runs/20990101-000000/{endpoint}");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("20980101-000000", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, empty.StatusCode);
        Assert.Contains($"run 20990101-000000 has no {file}", (await empty.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}

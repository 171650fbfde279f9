using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimHil.Characterization.Store;
using CimHil.Tests.Shared;

namespace CimHil.Server.Tests;

/// <summary>
/// The Python client (python/cimhil) against a real <c>cimhil serve</c> process on the emulator: its unittest suites run
/// by Debian's /usr/bin/python3, one following a characterisation to completion and fetching its measurements as a
/// DataFrame, one following a whole <c>run</c> and fetching its results as DataFrames; this side checks what each saw
/// against the store and the run folder.
/// </summary>
public sealed class PythonClientTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task PythonClient_FollowsARunToCompletion_AndItsDataFrameHasTheStoresRows()
    {
        var (dir, seen) = await ServeAndTestAsync("tests.test_client", 6, configure: null);

        Assert.Equal("finished", seen.GetProperty("status").GetString());
        using var store = MeasurementStore.Open(Path.Combine(dir, "runs", seen.GetProperty("run").GetString()!, "measurements.db"), DateTimeOffset.UtcNow, readOnly: true);
        Assert.Equal(store.Counts().Measurements, seen.GetProperty("rows").GetInt64());
        Assert.True(seen.GetProperty("rows").GetInt64() > 1000);
    }

    [Fact]
    public async Task PythonClient_FollowsAWholeRun_AndItsResultsAreDataFramesWithTheRowsOfResultsJson()
    {
        var (dir, seen) = await ServeAndTestAsync("tests.test_run", 2, ServedBench.SmallRun);

        Assert.Equal("finished", seen.GetProperty("status").GetString());
        var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "runs", seen.GetProperty("run").GetString()!, "results.json"))).RootElement;
        var points = results.GetProperty("worstCase").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(6, results.GetProperty("monteCarlo").GetProperty("chipAccuracies").GetArrayLength());
        Assert.Equal(6, seen.GetProperty("monteCarloRows").GetInt32());
        Assert.Equal(points.Count, seen.GetProperty("worstCaseRows").GetInt32());
        Assert.Equal([0.0, 1.0, 3.0], seen.GetProperty("worstCaseK").EnumerateArray().Select(k => k.GetDouble()));
        Assert.Equal(points.Select(p => p.GetProperty("k").GetDouble()), seen.GetProperty("worstCaseK").EnumerateArray().Select(k => k.GetDouble()));
    }

    /// <summary>
    /// Starts <c>cimhil serve</c> on a 12×12 emulator in a new folder (its config changed by <paramref name="configure"/>),
    /// runs the Python test module <paramref name="module"/> against it, checks that all <paramref name="tests"/> passed,
    /// and returns the folder and what the module wrote to CIMHIL_RESULT. The server is killed with its children at the end.
    /// </summary>
    private async Task<(string Dir, JsonElement Seen)> ServeAndTestAsync(string module, int tests, Action<JsonObject>? configure)
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-python-").FullName;
        var config = ServedBench.WriteConfig(dir, 12, configure);
        var cli = Path.Combine(AppContext.BaseDirectory, "cimhil.dll");
        var serve = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "serve", "--port", "0", "--config", config })
        {
            serve.ArgumentList.Add(a);
        }

        using var server = Process.Start(serve)!;
        try
        {
            _ = server.StandardError.ReadToEndAsync();
            string? url = null;
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
            {
                while (url is null && await server.StandardOutput.ReadLineAsync(wait.Token) is { } line)
                {
                    if (line.StartsWith("cimhil serve: ", StringComparison.Ordinal))
                    {
                        url = line["cimhil serve: ".Length..];
                    }
                }
            }

            Assert.NotNull(url);
            _ = server.StandardOutput.ReadToEndAsync();
            var result = Path.Combine(dir, "python-result.json");
            var python = new ProcessStartInfo("/usr/bin/python3") { WorkingDirectory = Path.Combine(AppContext.BaseDirectory, "python"), RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-m", "unittest", "-v", module })
            {
                python.ArgumentList.Add(a);
            }

            python.Environment["PYTHONPATH"] = Path.Combine(AppContext.BaseDirectory, "python");
            python.Environment["CIMHIL_URL"] = url;
            python.Environment["CIMHIL_PLAN"] = Path.Combine(dir, "plan.json");
            python.Environment["CIMHIL_CLI"] = cli;
            python.Environment["CIMHIL_CONFIG"] = config;
            python.Environment["CIMHIL_RUNS"] = Path.Combine(dir, "runs");
            python.Environment["CIMHIL_RESULT"] = result;
            var (code, stdout, stderr) = await ChildProcess.RunAsync(python, TimeSpan.FromMinutes(8), $"python3 -m unittest {module}");
            output.WriteLine(stdout);
            output.WriteLine(stderr);

            Assert.True(code == 0, stderr);
            Assert.Contains($"Ran {tests} tests", stderr, StringComparison.Ordinal);
            return (dir, JsonDocument.Parse(await File.ReadAllTextAsync(result)).RootElement.Clone());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}

using System.Diagnostics;
using System.Text.Json;
using CimHil.Characterization.Store;

namespace CimHil.Server.Tests;

/// <summary>
/// The Python client (python/cimhil) against a real <c>cimhil serve</c> process on the emulator: its unittest suite run
/// by Debian's /usr/bin/python3, which follows a characterisation to completion and fetches its measurements as a
/// DataFrame; this side checks the DataFrame's row count against the store.
/// </summary>
public sealed class PythonClientTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task PythonClient_FollowsARunToCompletion_AndItsDataFrameHasTheStoresRows()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-python-").FullName;
        var config = ServedBench.WriteConfig(dir, 12);
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
            foreach (var a in new[] { "-m", "unittest", "-v", "tests.test_client" })
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
            using var run = Process.Start(python)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var stdout = run.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = run.StandardError.ReadToEndAsync(timeout.Token);
            await run.WaitForExitAsync(timeout.Token);
            output.WriteLine(await stdout);
            output.WriteLine(await stderr);

            Assert.True(run.ExitCode == 0, await stderr);
            Assert.Contains("Ran 6 tests", await stderr, StringComparison.Ordinal);
            var seen = JsonDocument.Parse(await File.ReadAllTextAsync(result)).RootElement;
            Assert.Equal("finished", seen.GetProperty("status").GetString());
            using var store = MeasurementStore.Open(Path.Combine(dir, "runs", seen.GetProperty("run").GetString()!, "measurements.db"), DateTimeOffset.UtcNow, readOnly: true);
            Assert.Equal(store.Counts().Measurements, seen.GetProperty("rows").GetInt64());
            Assert.True(seen.GetProperty("rows").GetInt64() > 1000);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}

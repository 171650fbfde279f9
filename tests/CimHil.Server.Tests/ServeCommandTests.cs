using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace CimHil.Server.Tests;

/// <summary>
/// <c>cimhil serve</c> itself, as a process (cimhil.dll beside the tests): it prints its URL and serves on loopback
/// without a token; bound off loopback it generates a token, prints it, and refuses every request without it.
/// </summary>
public sealed class ServeCommandTests
{
    private static async Task<(Process Server, List<string> Lines, Task<string> Errors)> StartAsync(string dir, params string[] args)
    {
        var config = ServedBench.WriteConfig(dir, 8);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] all = [Path.Combine(AppContext.BaseDirectory, "cimhil.dll"), "serve", "--config", config, .. args];
        foreach (var a in all)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment.Remove("CIMHIL_TOKEN");
        var server = Process.Start(start)!;
        var errors = server.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await server.StandardOutput.ReadLineAsync(wait.Token) is { } line)
        {
            lines.Add(line);
            if (line.StartsWith("Serving;", StringComparison.Ordinal))
            {
                break;
            }
        }

        return (server, lines, errors);
    }

    private static async Task StopAsync(Process server)
    {
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();
        server.Dispose();
    }

    [Fact]
    public async Task Serve_OnLoopback_PrintsItsUrl_AndServesWithoutAToken()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-serve-").FullName;
        var (server, lines, _) = await StartAsync(dir, "--port", "0");
        try
        {
            var first = Assert.Single(lines, l => l.StartsWith("cimhil serve: ", StringComparison.Ordinal));
            var url = new Uri(first["cimhil serve: ".Length..]);
            Assert.Equal("127.0.0.1", url.Host);
            Assert.NotEqual(0, url.Port);
            Assert.DoesNotContain(lines, l => l.StartsWith("token:", StringComparison.Ordinal));
            using var http = new HttpClient { BaseAddress = url };
            using var info = await http.GetAsync("api/server");
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task Serve_OffLoopback_PrintsAGeneratedToken_AndRefusesRequestsWithoutIt()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-serve-").FullName;
        var (server, lines, _) = await StartAsync(dir, "--port", "0", "--bind", "0.0.0.0");
        try
        {
            var tokenLine = Assert.Single(lines, l => l.StartsWith("token: ", StringComparison.Ordinal));
            var token = tokenLine["token: ".Length..];
            Assert.True(token.Length >= 16, token);
            var link = new Uri(Assert.Single(lines, l => l.StartsWith("cimhil serve: ", StringComparison.Ordinal))["cimhil serve: ".Length..]);
            Assert.Equal($"?token={token}", link.Query);
            using var http = new HttpClient { BaseAddress = new UriBuilder(link) { Host = "127.0.0.1", Query = string.Empty }.Uri };

            using var none = await http.GetAsync("api/server");
            using var wrong = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/server") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token + "x") } });
            using var events = await http.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead);
            using var right = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/server") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } });

            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, events.StatusCode);
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task Serve_WithAShortToken_IsRefusedAtStart()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-serve-").FullName;
        var (server, lines, errors) = await StartAsync(dir, "--port", "0", "--bind", "0.0.0.0", "--token", "short");
        try
        {
            await server.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            Assert.NotEqual(0, server.ExitCode);
            Assert.DoesNotContain(lines, l => l.StartsWith("cimhil serve: ", StringComparison.Ordinal));
            Assert.Contains("--token: at least 16 characters", await errors, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(server);
        }
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using Serilog;

namespace CimHil.Server.Tests;

/// <summary>
/// A real bench server on the in-process emulator, on a free loopback port (or another address with a token), in a
/// temporary folder of its own: config, emulator state file, runs/.
/// </summary>
public sealed class ServedBench : IAsyncDisposable
{
    /// <summary>A small plan: forming, stuck map, multilevel at four levels and read noise, a few seconds on 16×16.</summary>
    public const string PlanJson = """
        {
          "name": "server-test", "readVoltageV": 0.2, "seed": 3,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 80,
            "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8, "gateV": 2.0 },
            "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 },
            "finalReads": 2
          },
          "forming": { "amplitudeV": 3.0, "stepV": 0.1, "maxAmplitudeV": 4.0, "widthSeconds": 1e-5, "complianceA": 1e-4 },
          "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-6, "gateV": 3.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-6 }, "pulses": 6 },
          "multilevel": { "targetsS": [10e-6, 30e-6, 50e-6, 70e-6] },
          "readNoise": { "targetsS": [10e-6, 50e-6], "reads": 8, "sampleCount": 32 }
        }
        """;

    private readonly Operations.CommitHold? _hold;

    private ServedBench(string dir, BenchServer server, HttpClient http, Operations.CommitHold? hold)
    {
        _hold = hold;
        Directory = dir;
        Server = server;
        Http = http;
    }

    public string Directory { get; }

    public BenchServer Server { get; }

    public HttpClient Http { get; }

    public string ConfigPath => Path.Combine(Directory, "hil-config.json");

    public string StateFile => Path.Combine(Directory, "emulator-state.bin");

    public string PlanPath => Path.Combine(Directory, "plan.json");

    /// <summary>The shipped config with a <paramref name="size"/>×<paramref name="size"/> emulator and every file inside <paramref name="dir"/>.</summary>
    public static string WriteConfig(string dir, int size, Action<JsonObject>? configure = null)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hil-config.json")), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        node["emulator"]!["rows"] = size;
        node["emulator"]!["columns"] = size;
        node["emulator"]!["stateFile"] = Path.Combine(dir, "emulator-state.bin");
        node["logging"]!["file"] = Path.Combine(dir, "logs", "cimhil-.log");
        node["run"]!["outputRoot"] = Path.Combine(dir, "runs");
        configure?.Invoke(node);
        var path = Path.Combine(dir, "hil-config.json");
        File.WriteAllText(path, node.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "plan.json"), PlanJson);
        return path;
    }

    /// <summary>
    /// A run section scaled down so a whole <c>run</c> takes seconds: the test plan, the shipped model, a few Monte-Carlo
    /// chips and images, three bounds of worst case, no screenshot.
    /// </summary>
    public static void SmallRun(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dir = Path.GetDirectoryName(config["emulator"]!["stateFile"]!.GetValue<string>())!;
        config["run"] = new JsonObject
        {
            ["outputRoot"] = Path.Combine(dir, "runs"),
            ["plan"] = Path.Combine(dir, "plan.json"),
            ["model"] = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors"),
            ["seed"] = 3,
            ["monteCarlo"] = new JsonObject { ["chips"] = 6, ["images"] = 200, ["percentile"] = 10 },
            ["worstCase"] = new JsonObject { ["ks"] = new JsonArray(0, 1, 3), ["images"] = 100, ["method"] = "default" },
            ["calibration"] = new JsonObject { ["bootstrapSamples"] = 20 },
            ["screenshot"] = false,
        };
    }

    /// <summary>
    /// A server on a new emulator of <paramref name="size"/>×<paramref name="size"/> cells; <paramref name="hold"/> holds its
    /// characterisations at the commits the test picks (<see cref="Operations.CommitHold"/>), opened when the bench is disposed.
    /// </summary>
    public static async Task<ServedBench> StartAsync(int size = 16, System.Net.IPAddress? bind = null, string? token = null, double stopGraceSeconds = 10, Action<JsonObject>? configure = null, Operations.CommitHold? hold = null)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("cimhil-server-").FullName;
        var config = HilConfigLoader.Load(WriteConfig(dir, size, configure));
        var options = new BenchServerOptions
        {
            Config = config,
            Drivers = DriverRegistry.FromDirectory(AppContext.BaseDirectory),
            BindAddress = bind ?? System.Net.IPAddress.Loopback,
            Port = 0,
            Token = token,
            RunsRoot = Path.Combine(dir, "runs"),
            StopGraceSeconds = stopGraceSeconds,
            CommitHold = hold,
        };
        var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.File(Path.Combine(dir, "server.log")).CreateLogger();
        var server = await BenchServer.StartAsync(options, log, CancellationToken.None);
        var url = bind is null || System.Net.IPAddress.IsLoopback(bind) ? server.Url : new UriBuilder(server.Url) { Host = "127.0.0.1" }.Uri;
        var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(120) };
        return new ServedBench(dir, server, http, hold);
    }

    public string ServerLog => File.ReadAllText(Path.Combine(Directory, "server.log"));

    /// <summary>Starts a characterisation of <see cref="PlanJson"/> (or resumes <paramref name="resume"/>) and returns the operation.</summary>
    public async Task<JsonElement> StartCharacterizationAsync(string? resume = null)
    {
        object body = resume is null ? new { planJson = JsonDocument.Parse(PlanJson).RootElement } : new { resume };
        using var response = await Http.PostAsJsonAsync("api/workflows/characterize", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls GET /api/operation until it is no longer running or stopping.</summary>
    public async Task<JsonElement> WaitEndedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        while (true)
        {
            var op = await Http.GetFromJsonAsync<JsonElement>("api/operation");
            var status = op.GetProperty("status").GetString();
            if (status is not ("running" or "stopping"))
            {
                return op;
            }

            Assert.True(DateTime.UtcNow < deadline, $"operation still {status}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A test that failed while its run was held must not leave the run (and the server's stop) waiting.
        _hold?.Open();
        Http.Dispose();
        await Server.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A browser or child process may still hold a file for a moment; the temp folder is cleaned by the OS.
        }
    }
}

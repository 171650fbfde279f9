using System.Text.Json.Nodes;

namespace CimHil.Cli.Tests;

/// <summary>
/// One <c>cimhil run</c> on the emulator, as its own process with stdout redirected into the test (a pipe) while TERM names
/// a colour terminal; scaled down below <see cref="RunPipelineTests.SmallRun"/> (2 chips, one worst-case bound) so that it
/// finishes on a loaded 2-core machine. Shared by the tests that examine its output and its folder.
/// </summary>
public sealed class FinishedRun : IAsyncLifetime
{
    public int Code { get; private set; }

    public string Output { get; private set; } = string.Empty;

    public string Error { get; private set; } = string.Empty;

    /// <summary>The run folder (the only folder under the run's output root).</summary>
    public string Folder { get; private set; } = string.Empty;

    /// <summary>
    /// A config whose run is scaled below <see cref="RunPipelineTests.SmallRun"/> (2 chips, bounds 0 and 1, no
    /// screenshot), writing under a new temporary output root.
    /// </summary>
    internal static async Task<(string Config, string Root)> TinyConfigAsync()
    {
        var (small, root) = RunPipelineTests.SmallRun();
        var node = JsonNode.Parse(await File.ReadAllTextAsync(small))!.AsObject();
        node["run"]!["monteCarlo"] = new JsonObject { ["chips"] = 2, ["images"] = 100, ["percentile"] = 10 };
        node["run"]!["worstCase"] = new JsonObject { ["ks"] = new JsonArray(0, 1), ["images"] = 10, ["method"] = "paper" };
        node["run"]!["screenshot"] = false;
        var config = Path.Combine(Path.GetDirectoryName(small)!, "tiny-run.json");
        await File.WriteAllTextAsync(config, node.ToJsonString());
        return (config, root);
    }

    public async Task InitializeAsync()
    {
        var (config, root) = await TinyConfigAsync();
        (Code, Output, Error) = await CliProcess.RunAsync(
            AppContext.BaseDirectory, new Dictionary<string, string?> { ["TERM"] = "xterm-256color" }, "run", "--config", config);
        Folder = Directory.GetDirectories(root).SingleOrDefault() ?? string.Empty;
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

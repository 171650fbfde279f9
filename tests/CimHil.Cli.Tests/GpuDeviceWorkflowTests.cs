using System.Text.Json;
using System.Text.Json.Nodes;

namespace CimHil.Cli.Tests;

/// <summary>
/// <c>--device</c> and <c>simulation.device</c> on <c>worst-case</c>, <c>run</c> and <c>study</c> on a machine without a GPU
/// (issue #21 item 1, docs/gpu.md): the same refusal and the same one fallback line as <c>evaluate</c>, through the real
/// library search against the stand-in driver (native/cuda-standin) in a child process, and the CPU's numbers unchanged.
/// </summary>
public class GpuDeviceWorkflowTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    private static string[] WorstCase(string output) =>
        ["worst-case", "--model", Model, "--device-model", "gaussian:0.1", "--k", "0,1", "--images", "40", "--steps", "2", "--restarts", "0", "--mc-chips", "3", "--out", output, "--json"];

    [Fact]
    public async Task WorstCase_DeviceCuda_WithoutAGpu_IsAUsageError_BeforeAnyDeltaIsWritten()
    {
        var output = Path.Combine(CliProcess.EmptyFolder(), "wc");

        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), [.. WorstCase(output), "--device", "cuda"]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("--device cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "no Δ file may be written when the command is refused");
    }

    [Fact]
    public async Task WorstCase_DeviceAuto_WithoutAGpu_GivesTheCpuNumbers_WithOneFallbackLine()
    {
        var folder = CliProcess.EmptyFolder();

        var (auto, autoOut, autoError) = await CliProcess.RunAsync(folder, GpuDeviceSelectionTests.NoGpu(), [.. WorstCase(Path.Combine(folder, "auto")), "--device", "auto"]);
        var (cpu, cpuOut, cpuError) = await CliProcess.RunAsync(folder, GpuDeviceSelectionTests.NoGpu(), [.. WorstCase(Path.Combine(folder, "cpu")), "--device", "cpu"]);

        Assert.True(auto == ExitCodes.Success, autoError);
        Assert.True(cpu == ExitCodes.Success, cpuError);
        var lines = autoError.Split('\n').Where(l => l.Contains("device auto: running on the CPU", StringComparison.Ordinal)).ToArray();
        Assert.Single(lines);
        Assert.Contains("no CUDA GPU found (cuInit returned 100", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("device auto", cpuError, StringComparison.Ordinal);
        Assert.Equal(Numbers(CliHarness.Json(cpuOut)), Numbers(CliHarness.Json(autoOut)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "cpu", "worst-case-k1.safetensors")), File.ReadAllBytes(Path.Combine(folder, "auto", "worst-case-k1.safetensors")));
    }

    [Fact]
    public async Task Run_DeviceCuda_WithoutAGpu_IsAUsageError_BeforeTheRunFolderOrTheBench()
    {
        var (config, root) = RunPipelineTests.SmallRun();

        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "run", "--config", config, "--device", "cuda");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--device cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public async Task Run_SimulationDeviceCudaInTheConfig_WithoutAGpu_IsAConfigError_NamingTheJsonPath()
    {
        var (config, root) = RunPipelineTests.SmallRun();
        var withDevice = WithSimulationDevice(config, "cuda");

        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "run", "--config", withDevice);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("simulation.device", error, StringComparison.Ordinal);
        Assert.Contains("cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public async Task Study_SimulationDeviceAutoInTheConfig_WithoutAGpu_RunsEveryMonteCarloOnTheCpu_SayingSoOnce()
    {
        var root = Directory.CreateTempSubdirectory("cimhil-study-").FullName;
        var config = WithSimulationDevice(StudyCommandTests.TinyConfig(root), "auto");

        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "study", "--json", "--config", config, "--methods", "standard");

        Assert.True(code == ExitCodes.Success, error);
        Assert.Single(error.Split('\n'), l => l.Contains("device auto: running on the CPU: no CUDA GPU found", StringComparison.Ordinal));
        Assert.Single(error.Split('\n'), l => l.Contains("the worst-case search runs on the CPU", StringComparison.Ordinal));

        // Both variation models of the study were judged (two Monte-Carlo evaluations), each on every chip.
        var rows = CliHarness.Json(output).GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r => Assert.Equal(3, r.GetProperty("monteCarlo").GetProperty("chipAccuracies").GetArrayLength()));
    }

    [Fact]
    public async Task Study_DeviceCuda_WithoutAGpu_IsAUsageError_BeforeAnyTraining()
    {
        var root = Directory.CreateTempSubdirectory("cimhil-study-").FullName;

        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "study", "--config", StudyCommandTests.TinyConfig(root), "--device", "cuda");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--device cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    // The worst-case figures of a --json reply (not its timings or file paths).
    private static string Numbers(JsonElement reply)
    {
        var points = reply.GetProperty("points").EnumerateArray().Select(p => $"{p.GetProperty("k").GetDouble()}:{p.GetProperty("accuracy").GetDouble():R}/{p.GetProperty("searchAccuracy").GetDouble():R}");
        var mc = reply.GetProperty("monteCarlo");
        return $"clean {reply.GetProperty("cleanAccuracy").GetDouble():R} {string.Join(",", points)} mc {mc.GetProperty("mean").GetDouble():R} {mc.GetProperty("minimum").GetDouble():R} {mc.GetProperty("percentile").GetDouble():R}";
    }

    private static string WithSimulationDevice(string configPath, string device)
    {
        var node = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        node["simulation"]!["device"] = device;
        var path = Path.Combine(Directory.CreateTempSubdirectory("cimhil-device-").FullName, "hil-config.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }
}

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

    internal static string[] WorstCase(string output) =>
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
    public async Task Run_DeviceAuto_WithoutAGpu_SearchesOnTheCpu_WithTheCpuNumbersAndDeltasByteForByte_AndOneFallbackLine()
    {
        // One calibration for both devices: the CPU run, then its worst-case stage recomputed by a resume with --device auto.
        var (config, _) = RunPipelineTests.SmallRun();
        var noScreenshot = WithSetting(config, "run", "screenshot", false);
        var work = CliProcess.EmptyFolder(); // the emulator's state file lives here: the resume finds the same chip
        var (cpu, cpuOut, cpuError) = await CliProcess.RunAsync(work, GpuDeviceSelectionTests.NoGpu(), "run", "--json", "--config", noScreenshot, "--device", "cpu");
        Assert.True(cpu == ExitCodes.Success, cpuError);
        var folder = CliHarness.Json(cpuOut).GetProperty("folder").GetString()!;
        var cpuCurve = await File.ReadAllTextAsync(Path.Combine(folder, "worst-case.json"));
        Directory.Move(Path.Combine(folder, "worst-case"), Path.Combine(folder, "worst-case-cpu"));
        File.Delete(Path.Combine(folder, "worst-case.json"));

        var (auto, autoOut, autoError) = await CliProcess.RunAsync(work, GpuDeviceSelectionTests.NoGpu(), "run", "--json", "--config", noScreenshot, "--resume", folder, "--device", "auto");

        Assert.True(auto == ExitCodes.Success, autoError);
        Assert.Single(autoError.Split('\n'), l => l.Contains("device auto: running on the CPU: no CUDA GPU found (cuInit returned 100", StringComparison.Ordinal));
        Assert.DoesNotContain("the worst-case search runs on the CPU", autoError, StringComparison.Ordinal);
        Assert.Equal(CurveNumbers(cpuCurve), CurveNumbers(await File.ReadAllTextAsync(Path.Combine(folder, "worst-case.json"))));
        Assert.Equal(CliHarness.Json(cpuOut).GetProperty("worstCase").GetProperty("points").GetArrayLength(), CliHarness.Json(autoOut).GetProperty("worstCase").GetProperty("points").GetArrayLength());
        var deltas = Directory.GetFiles(Path.Combine(folder, "worst-case-cpu"), "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(deltas);
        Assert.Equal(deltas, Directory.GetFiles(Path.Combine(folder, "worst-case"), "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var delta in deltas)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "worst-case-cpu", delta!)), File.ReadAllBytes(Path.Combine(folder, "worst-case", delta!)));
        }
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
    public async Task Study_SimulationDeviceAutoInTheConfig_WithoutAGpu_RunsEveryMonteCarloAndSearchOnTheCpu_SayingSoOnce_WithTheCpuNumbers()
    {
        var root = Directory.CreateTempSubdirectory("cimhil-study-").FullName;
        var config = WithSimulationDevice(StudyCommandTests.TinyConfig(root), "auto");

        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "study", "--json", "--config", config, "--methods", "standard");
        var cpuRoot = Directory.CreateTempSubdirectory("cimhil-study-").FullName;
        var (cpu, cpuOutput, cpuError) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "study", "--json", "--config", StudyCommandTests.TinyConfig(cpuRoot), "--methods", "standard", "--device", "cpu");

        Assert.True(code == ExitCodes.Success, error);
        Assert.True(cpu == ExitCodes.Success, cpuError);
        Assert.Equal(StudyCommandTests.Numbers(CliHarness.Json(cpuOutput)), StudyCommandTests.Numbers(CliHarness.Json(output)));
        Assert.Single(error.Split('\n'), l => l.Contains("device auto: running on the CPU: no CUDA GPU found", StringComparison.Ordinal));

        // No GPU opened: the search's passes fall back with the Monte-Carlo chips, under the same one line, not a second.
        Assert.DoesNotContain("the worst-case search runs on the CPU", error, StringComparison.Ordinal);

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

    // The worst-case figures of worst-case.json (not its timings or file paths).
    private static string CurveNumbers(string worstCaseJson)
    {
        var summary = CliHarness.Json(worstCaseJson);
        var points = summary.GetProperty("points").EnumerateArray().Select(p => $"{p.GetProperty("k").GetDouble()}:{p.GetProperty("accuracy").GetDouble():R}");
        return $"clean {summary.GetProperty("cleanAccuracy").GetDouble():R} {string.Join(",", points)}";
    }

    private static string WithSimulationDevice(string configPath, string device) => WithSetting(configPath, "simulation", "device", device);

    private static string WithSetting(string configPath, string section, string key, JsonNode value)
    {
        var node = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        node[section]![key] = value;
        var path = Path.Combine(Directory.CreateTempSubdirectory("cimhil-device-").FullName, "hil-config.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }
}

using System.Runtime.InteropServices;
using System.Text.Json;
using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests;

/// <summary>
/// <c>--device</c> / <c>simulation.device</c> on a machine without a GPU (CI), issue #21 item 5: the real library search and
/// P/Invoke declarations of the CUDA backend against a gcc-built stand-in driver (native/cuda-standin), in a child process.
/// </summary>
public class GpuDeviceSelectionTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    private static readonly Lazy<string> StandInFolder = new(() => Path.GetDirectoryName(NativeStandIn.Build("cuda_standin.c", "libcuda.so.1"))!, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly string[] Evaluate = ["evaluate", "--model", Model, "--device-model", "gaussian:0.1", "--chips", "2", "--images", "20", "--json"];

    [Fact]
    public async Task DeviceCuda_OnAMachineWhoseDriverSeesNoGpu_IsAUsageError_NamingWhatWasMissing()
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), NoGpu(), [.. Evaluate, "--device", "cuda"]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("--device cuda: no CUDA GPU found (cuInit returned 100; driver ", error, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(StandInFolder.Value, "libcuda.so.1"), error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceAuto_WithoutAGpu_RunsOnTheCpu_AndSaysWhyInOneLine()
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), NoGpu(), [.. Evaluate, "--device", "auto"]);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal("cpu", CliHarness.Json(output).GetProperty("device").GetString());
        var lines = error.Split('\n').Where(l => l.Contains("device auto", StringComparison.Ordinal)).ToArray();
        Assert.Single(lines);
        Assert.Contains("device auto: running on the CPU: no CUDA GPU found (cuInit returned 100", lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evaluate")] // CudaBackendSelection's line
    [InlineData("worst-case")] // ChipBackendChoice's line
    public async Task DeviceAuto_UnderQuiet_StillSaysWhyInOneLine_AndOnlyThat(string command)
    {
        var folder = CliProcess.EmptyFolder();
        string[] args = command == "evaluate" ? Evaluate : GpuDeviceWorkflowTests.WorstCase(Path.Combine(folder, "wc"));

        var (code, output, error) = await CliProcess.RunAsync(folder, NoGpu(), [.. args, "--device", "auto", "--quiet"]);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(JsonValueKind.Object, CliHarness.Json(output).ValueKind);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("device auto: running on the CPU: no CUDA GPU found (cuInit returned 100", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceCuda_WithADriverButNoCublas_NamesTheSonamesTriedInOrder()
    {
        if (Loads("libcublas.so.13", "libcublas.so.12", "libcublas.so"))
        {
            return; // a machine with cuBLAS installed cannot show its absence; CI has none
        }

        var environment = new Dictionary<string, string?>(NoGpu()) { ["CUDA_STANDIN_INIT"] = "0", ["CUDA_STANDIN_DEVICES"] = "1" };
        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), environment, "gpu", "info");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("cuda: cuBLAS not found: tried libcublas.so.13, libcublas.so.12, libcublas.so (set $CIMHIL_CUDA_LIBRARY_PATH", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceCuda_FindsCuda12sCublasSoname_ThenNamesTheNvrtcSonamesTriedInOrder()
    {
        if (Loads("libcublas.so.13", "libcublas.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"))
        {
            return; // a machine with CUDA installed would find its own libraries first; CI has none
        }

        // A CUDA 12 installation's cuBLAS soname only (the stand-in file under that name: it is opened, not called, before NVRTC is looked for).
        var cuda12 = Directory.CreateTempSubdirectory("cimhil-cuda12-").FullName;
        File.Copy(Path.Combine(StandInFolder.Value, "libcuda.so.1"), Path.Combine(cuda12, "libcublas.so.12"));
        var environment = new Dictionary<string, string?>(NoGpu()) { ["CIMHIL_CUDA_LIBRARY_PATH"] = $"{StandInFolder.Value}:{cuda12}", ["CUDA_STANDIN_INIT"] = "0", ["CUDA_STANDIN_DEVICES"] = "1" };

        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), environment, "gpu", "info");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.DoesNotContain("cuBLAS not found", error, StringComparison.Ordinal);
        Assert.Contains("cuda: NVRTC not found: tried libnvrtc.so.13, libnvrtc.so.12, libnvrtc.so (set $CIMHIL_CUDA_LIBRARY_PATH", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceCuda_WithoutAnyDriverLibrary_SaysNoNvidiaDriver()
    {
        if (Loads("libcuda.so.1", "libcuda.so"))
        {
            return; // a GPU machine has the driver; CI has none
        }

        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), [.. Evaluate, "--device", "cuda"]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--device cuda: no NVIDIA driver: libcuda.so.1, libcuda.so not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulationDeviceCudaInTheConfig_WithoutAGpu_IsAConfigError_NamingTheJsonPath()
    {
        var config = CliHarness.ConfigVariant(t => t.Replace("\"simulation\": {", "\"simulation\": {\n    \"device\": \"cuda\",", StringComparison.Ordinal));

        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), NoGpu(), ["--config", config, .. Evaluate]);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("simulation.device", error, StringComparison.Ordinal);
        Assert.Contains("cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulationDeviceAutoInTheConfig_FallsBack_AndTheFlagOverridesIt()
    {
        var config = CliHarness.ConfigVariant(t => t.Replace("\"simulation\": {", "\"simulation\": {\n    \"device\": \"auto\",", StringComparison.Ordinal));

        var (auto, _, autoError) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), NoGpu(), ["--config", config, .. Evaluate]);
        var (cpu, _, cpuError) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), NoGpu(), ["--config", config, .. Evaluate, "--device", "cpu"]);

        Assert.True(auto == ExitCodes.Success, autoError);
        Assert.Contains("device auto: running on the CPU", autoError, StringComparison.Ordinal);
        Assert.True(cpu == ExitCodes.Success, cpuError);
        Assert.DoesNotContain("device auto", cpuError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--device", "tpu", "--device tpu: expected cpu, cuda or auto")]
    [InlineData("--gpu-math", "bf16", "--gpu-math bf16: expected fp32 or tf32")]
    public async Task UnknownDeviceOrMathFlag_IsAUsageError(string flag, string value, string message)
    {
        var (code, _, error) = await CliHarness.RunAsync([.. Evaluate, flag, value]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownDeviceInTheConfig_IsAConfigError_NamingPathAndValue()
    {
        var config = CliHarness.ConfigVariant(t => t.Replace("\"simulation\": {", "\"simulation\": {\n    \"device\": \"tpu\",", StringComparison.Ordinal));

        var (code, _, error) = await CliHarness.RunAsync(["--config", config, .. Evaluate]);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("simulation.device: 'tpu': expected cpu, cuda or auto", error, StringComparison.Ordinal);
    }

    /// <summary>The child's environment with the stand-in driver that sees no GPU (cuInit returns 100).</summary>
    internal static Dictionary<string, string?> NoGpu() => new() { ["CIMHIL_CUDA_LIBRARY_PATH"] = StandInFolder.Value };

    private static bool Loads(params string[] names)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                return true;
            }
        }

        return false;
    }
}

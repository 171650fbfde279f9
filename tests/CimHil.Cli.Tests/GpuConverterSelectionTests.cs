namespace CimHil.Cli.Tests;

/// <summary>
/// DAC/ADC converters on the GPU (docs/gpu.md, "Converters"): without a GPU (CI), a mapping with converters is no longer
/// refused by the plan — <c>--device cuda</c> stops only at the missing GPU, <c>auto</c> falls back with its one line and the
/// CPU's numbers, <c>gpu check</c> takes the mapping flags; with one (<see cref="GpuFactAttribute"/>), <c>gpu check</c> with
/// converters against the CPU's chips.
/// </summary>
public class GpuConverterSelectionTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    private static readonly string[] Evaluate = ["evaluate", "--model", Model, "--device-model", "gaussian:0.1", "--chips", "2", "--images", "20", "--json", "--adc-bits", "8"];

    [Fact]
    public async Task DeviceCuda_WithConverters_PassesThePlan_AndStopsOnlyAtTheMissingGpu()
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), [.. Evaluate, "--dac-bits", "6", "--device", "cuda"]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("--device cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
        Assert.DoesNotContain("converters", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceAuto_WithConverters_FallsBackWithOneLine_AndTheCpusNumbers()
    {
        var folder = CliProcess.EmptyFolder();
        var (auto, autoOut, autoError) = await CliProcess.RunAsync(folder, GpuDeviceSelectionTests.NoGpu(), [.. Evaluate, "--device", "auto"]);
        var (cpu, cpuOut, cpuError) = await CliProcess.RunAsync(folder, GpuDeviceSelectionTests.NoGpu(), [.. Evaluate, "--device", "cpu"]);

        Assert.True(auto == ExitCodes.Success, autoError);
        Assert.True(cpu == ExitCodes.Success, cpuError);
        var lines = autoError.Split('\n').Where(l => l.Contains("device auto", StringComparison.Ordinal)).ToArray();
        Assert.Single(lines);
        Assert.Contains("device auto: running on the CPU: no CUDA GPU found (cuInit returned 100", lines[0], StringComparison.Ordinal);
        var (a, c) = (CliHarness.Json(autoOut), CliHarness.Json(cpuOut));
        Assert.Equal(c.GetProperty("chipAccuracies").ToString(), a.GetProperty("chipAccuracies").ToString());
    }

    [Fact]
    public async Task GpuCheck_TakesTheConverterFlags_AndStopsOnlyAtTheMissingGpu()
    {
        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "gpu", "check", "--model", Model, "--images", "20", "--chips", "2", "--adc-bits", "8", "--dac-bits", "8", "--bits", "3", "--slices", "2");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GpuCheck_ABadConverterResolution_IsAUsageError_NamingTheLimit()
    {
        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "gpu", "check", "--model", Model, "--images", "20", "--adc-bits", "1");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("adcBits 1 must lie in [2, 16]", error, StringComparison.Ordinal);
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public async Task GpuCheck_WithConverters_OnTheGpu_AgreesWithTheCpuChips()
    {
        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), "gpu", "check", "--model", Model, "--images", "2000", "--chips", "16", "--adc-bits", "8", "--dac-bits", "8", "--json");

        Assert.True(code == ExitCodes.Success, error);
        var summary = CliHarness.Json(stdout);

        // cuBLAS sums each tile's products in another order than the CPU, so a partial sum on an ADC boundary can move one LSB:
        // at most a few images of a chip, never a systematic difference (docs/gpu.md, "Converters").
        Assert.InRange(summary.GetProperty("maxImagesDifferent").GetInt32(), 0, 5);
        Assert.InRange(Math.Abs(summary.GetProperty("meanCpu").GetDouble() - summary.GetProperty("meanGpu").GetDouble()), 0, 0.001);
    }
}

using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests;

/// <summary>
/// The device sampler (docs/gpu.md, "The sampler on the GPU"): without a GPU, `gpu check --gpu-sampler` is refused for a value
/// it does not know and stops at the missing GPU otherwise (CI); with one (<see cref="GpuFactAttribute"/>), every chip's
/// weights drawn on the GPU against the host's float by float, and the chips' accuracies against the CPU's.
/// </summary>
public class GpuSamplerTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    [Theory]
    [InlineData("gpu", "Argument 'gpu' not recognized")]
    [InlineData("device", "cuda: no CUDA GPU found (cuInit returned 100")]
    public async Task GpuCheck_WithoutAGpu_RefusesAnUnknownSampler_AndStopsTheDeviceSamplerAtTheMissingGpu(string sampler, string message)
    {
        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "gpu", "check", "--model", Model, "--images", "20", "--gpu-sampler", sampler);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    /// <summary>Every Monte-Carlo command takes the flag (the device unless it or CIMHIL_CUDA_SAMPLER says host) and refuses other values.</summary>
    [Theory]
    [InlineData("evaluate")]
    [InlineData("worst-case")]
    [InlineData("run")]
    [InlineData("study")]
    public async Task MonteCarloCommands_TakeTheSamplerFlag_AndRefuseAnUnknownValue(string command)
    {
        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), command, "--device", "cuda", "--gpu-sampler", "gpu");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("Argument 'gpu' not recognized. Must be one of:", error, StringComparison.Ordinal);
        Assert.Contains("'device'", error, StringComparison.Ordinal);
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public async Task GpuCheck_DeviceSampler_DrawsTheHostsWeights_AndTheCpusAccuracies()
    {
        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), "gpu", "check", "--model", Model, "--chips", "16", "--images", "2000", "--gpu-sampler", "device", "--json");

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(stdout);
        Assert.StartsWith("device", json.GetProperty("sampler").GetString(), StringComparison.Ordinal);

        // Only draws through CUDA's log/exp (the ziggurat's tail and wedges) may differ, in their last bit.
        Assert.True(json.GetProperty("samplerWeightsDiffering").GetInt64() * 1000 <= json.GetProperty("samplerWeights").GetInt64(), stdout);
        Assert.InRange(json.GetProperty("samplerMaxUlps").GetInt64(), 0, 1);
        Assert.Equal(0, json.GetProperty("chipsDiffering").GetInt32());
    }
}

using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests;

/// <summary>
/// <c>evaluate --device</c> on imported ONNX graphs (docs/gpu.md, "Imported graphs"), on a machine without a GPU: a graph the
/// GPU plan lowers gets as far as looking for the GPU (the stand-in driver of <see cref="GpuDeviceSelectionTests"/> sees
/// none) — concat-width's Concat on the width axis included, since the GPU scatters it. (That fixture was the refused
/// operator of the CLI's refusal tests; no fixture the GPU lacks is left, and GraphPlanTests names a refused node.)
/// </summary>
public class GpuGraphSelectionTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx");

    private static string[] Evaluate(string fixture, string device) =>
        ["evaluate", "--model", Path.Combine(Fixtures, fixture + ".onnx"), "--data", $"{Path.Combine(Fixtures, "test-x.npy")},{Path.Combine(Fixtures, "test-y.npy")}",
            "--device-model", "gaussian:0.1", "--chips", "2", "--images", "32", "--json", "--device", device];

    [Theory]
    [InlineData("residual-cnn")]
    [InlineData("depthwise-separable")]
    [InlineData("mlp")]
    [InlineData("concat-width")]
    public async Task DeviceCuda_ImportedFixture_PassesTheGraphCheck_AndStopsOnlyAtTheMissingGpu(string fixture)
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), Evaluate(fixture, "cuda"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("--device cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
    }
}

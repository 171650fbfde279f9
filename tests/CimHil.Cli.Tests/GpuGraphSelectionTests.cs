using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests;

/// <summary>
/// <c>evaluate --device</c> on imported ONNX graphs (docs/gpu.md, "Imported graphs"), on a machine without a GPU: a graph the
/// GPU plan lowers gets as far as looking for the GPU (the stand-in driver of <see cref="GpuDeviceSelectionTests"/> sees
/// none); an operator the GPU lacks (a Concat on the width axis, fixture concat-width) is refused naming the ONNX node under
/// cuda, and falls back in one line under auto.
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
    public async Task DeviceCuda_ImportedFixture_PassesTheGraphCheck_AndStopsOnlyAtTheMissingGpu(string fixture)
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), Evaluate(fixture, "cuda"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("--device cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceCuda_GraphWithAnOperatorTheGpuLacks_NamesTheNode_BeforeLookingForAGpu()
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), Evaluate("concat-width", "cuda"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("--device cuda: node '/Concat' (Concat): Concat(axis 3) does not run on the GPU yet (supported: Conv, ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("cuInit", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceAuto_GraphWithAnOperatorTheGpuLacks_RunsOnTheCpu_AndNamesTheNodeInOneLine()
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), Evaluate("concat-width", "auto"));

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal("cpu", CliHarness.Json(output).GetProperty("device").GetString());
        var lines = error.Split('\n').Where(l => l.Contains("device auto", StringComparison.Ordinal)).ToArray();
        Assert.Single(lines);
        Assert.Contains("device auto: running on the CPU: node '/Concat' (Concat): Concat(axis 3) does not run on the GPU yet", lines[0], StringComparison.Ordinal);
    }
}

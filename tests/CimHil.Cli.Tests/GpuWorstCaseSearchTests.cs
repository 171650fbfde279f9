namespace CimHil.Cli.Tests;

/// <summary>
/// The worst-case search's passes on the GPU (issue #21 item 2, docs/gpu.md): without a GPU, the check command's refusal (CI);
/// with one (<see cref="GpuFactAttribute"/>), the GPU passes against the CPU's and the GPU search's Δ re-verified on the CPU.
/// </summary>
public class GpuWorstCaseSearchTests
{
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    [Fact]
    public async Task CheckWorstCase_WithoutAGpu_IsAUsageError_NamingWhatIsMissing()
    {
        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), GpuDeviceSelectionTests.NoGpu(), "gpu", "check-worst-case", "--model", Model, "--device-model", "gaussian:0.1", "--images", "20");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("cuda: no CUDA GPU found (cuInit returned 100", error, StringComparison.Ordinal);
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public async Task CheckWorstCase_OnTheGpu_AgreesWithTheCpu_OnCountsAndGradientSigns()
    {
        var (code, stdout, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), "gpu", "check-worst-case", "--model", Model, "--device-model", "gaussian:0.1", "--images", "1000", "--passes", "2", "--json");

        Assert.True(code == ExitCodes.Success, error);
        foreach (var row in CliHarness.Json(stdout).GetProperty("rows").EnumerateArray())
        {
            foreach (var pass in new[] { "gradient", "exact" })
            {
                var a = row.GetProperty(pass);
                Assert.Equal(a.GetProperty("correctA").GetInt32(), a.GetProperty("correctB").GetInt32());
            }

            var g = row.GetProperty("gradient");
            Assert.InRange(g.GetProperty("gradientCosine").GetDouble(), 0.9999, 1.0000001);
            Assert.InRange(g.GetProperty("signAgreement").GetDouble(), 0.999, 1);
        }
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public async Task WorstCase_DeviceCuda_FindsTheCpuCurve_AndItsDeltaReverifiesOnTheCpu()
    {
        var folder = CliProcess.EmptyFolder();
        string[] sweep = ["worst-case", "--model", Model, "--device-model", "gaussian:0.1", "--k", "0,1", "--images", "500", "--steps", "8", "--restarts", "1", "--mc-chips", "0", "--json"];

        var (gpu, gpuOut, gpuError) = await CliProcess.RunAsync(folder, [.. sweep, "--out", Path.Combine(folder, "gpu"), "--device", "cuda"]);
        var (cpu, cpuOut, cpuError) = await CliProcess.RunAsync(folder, [.. sweep, "--out", Path.Combine(folder, "cpu"), "--device", "cpu"]);
        var (verify, _, verifyError) = await CliProcess.RunAsync(folder, "worst-case", "--model", Model, "--device-model", "gaussian:0.1", "--images", "500", "--verify", Path.Combine(folder, "gpu", "worst-case-k1.safetensors"));

        Assert.True(gpu == ExitCodes.Success, gpuError);
        Assert.True(cpu == ExitCodes.Success, cpuError);
        Assert.Contains("Worst-case search passes on the GPU", gpuError, StringComparison.Ordinal);
        Assert.DoesNotContain("search runs on the CPU", gpuError, StringComparison.Ordinal);

        // Agreement as issue #21 defines it: the GPU's Δ re-verifies on the CPU exactly; its curve within one image of the CPU's.
        Assert.True(verify == ExitCodes.Success, verifyError);
        var accuracies = (Curve(gpuOut), Curve(cpuOut));
        Assert.Equal(accuracies.Item2.Length, accuracies.Item1.Length);
        for (var i = 0; i < accuracies.Item1.Length; i++)
        {
            Assert.InRange(accuracies.Item1[i], accuracies.Item2[i] - (1.0 / 500), accuracies.Item2[i] + (1.0 / 500));
        }
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public async Task Study_DeviceCuda_SearchesOnTheGpu_AndFindsTheCpuCurveWithinOneImage()
    {
        string[] study = ["study", "--json", "--methods", "standard", "--log-level", "Information"];

        var (gpu, gpuOut, gpuError) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), [.. study, "--config", StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-").FullName), "--device", "cuda"]);
        var (cpu, cpuOut, cpuError) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), [.. study, "--config", StudyCommandTests.TinyConfig(Directory.CreateTempSubdirectory("cimhil-study-").FullName), "--device", "cpu"]);

        Assert.True(gpu == ExitCodes.Success, gpuError);
        Assert.True(cpu == ExitCodes.Success, cpuError);
        Assert.Contains("Worst-case search passes on the GPU", gpuError, StringComparison.Ordinal);
        Assert.DoesNotContain("search runs on the CPU", gpuError, StringComparison.Ordinal);
        var (gpuRows, cpuRows) = (CliHarness.Json(gpuOut).GetProperty("rows").EnumerateArray().ToArray(), CliHarness.Json(cpuOut).GetProperty("rows").EnumerateArray().ToArray());
        Assert.Equal(cpuRows.Length, gpuRows.Length);
        for (var r = 0; r < cpuRows.Length; r++)
        {
            // TinyConfig's worst case runs on 30 images: one image is 1/30.
            var (a, b) = (Curve(gpuRows[r].GetProperty("worstCase").ToString()), Curve(cpuRows[r].GetProperty("worstCase").ToString()));
            Assert.Equal(b.Length, a.Length);
            Assert.All(a.Zip(b), p => Assert.InRange(p.First, p.Second - (1.0 / 30) - 1e-12, p.Second + (1.0 / 30) + 1e-12));
        }
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public async Task WorstCase_TheResidentLoop_KeepsTheHostLoopsDelta_ByteForByte()
    {
        var folder = CliProcess.EmptyFolder();
        string[] sweep = ["worst-case", "--model", Model, "--device-model", "gaussian:0.1", "--k", "1", "--images", "500", "--steps", "8", "--restarts", "2", "--mc-chips", "0", "--device", "cuda"];

        var (resident, _, residentError) = await CliProcess.RunAsync(folder, [.. sweep, "--out", Path.Combine(folder, "resident")]);
        var (host, _, hostError) = await CliProcess.RunAsync(folder, new Dictionary<string, string?> { ["CIMHIL_CUDA_WORST_CASE_LOOP"] = "host" }, [.. sweep, "--out", Path.Combine(folder, "host")]);

        Assert.True(resident == ExitCodes.Success, residentError);
        Assert.True(host == ExitCodes.Success, hostError);
        Assert.Contains("Worst-case search loop on the GPU", residentError, StringComparison.Ordinal);
        Assert.Contains("Worst-case search loop on the CPU", hostError, StringComparison.Ordinal);

        // Same passes, same IEEE arithmetic in the step, the same exact focus select: the same Δ (docs/gpu.md).
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "host", "worst-case-k1.safetensors")), await File.ReadAllBytesAsync(Path.Combine(folder, "resident", "worst-case-k1.safetensors")));
    }

    private static double[] Curve(string json) =>
        [.. CliHarness.Json(json).GetProperty("points").EnumerateArray().Select(p => p.GetProperty("accuracy").GetDouble())];
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using Serilog.Core;

namespace CimHil.Bench;

/// <summary>
/// The cost of a worst-case search of fixed length on LeNet-5 (no restarts, no polish: every search makes the same passes),
/// in seconds per gradient pass, with OpenBLAS at its default thread count, OpenBLAS single-threaded and the managed kernel
/// (which never enters <see cref="Gemm"/>'s thread-count gate); then the gate's own cost per product, as a 1×1×1 product
/// through <see cref="Gemm.Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
/// against the same product by a direct cblas_sgemm call.
/// Arguments: [images = 200] [steps = 5] [checkpoint = models/lenet5-fmnist.safetensors].
/// </summary>
internal static class WorstCaseStepsBench
{
    private const int Repetitions = 3;
    private const int GateCalls = 1_000_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var images = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var checkpoint = args.Length > 2 ? args[2] : "models/lenet5-fmnist.safetensors";
        var net = await Checkpoint.LoadAsync(checkpoint);
        var test = (await FashionMnist.LoadSplitAsync(FashionMnist.ResolveDirectory(null), "t10k")).Take(images);
        var device = WorstCaseBench.PcmLike();
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(device) });
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4, SliceCount = 1 }, device.Window);
        // Batches of 1000 images, as `cimhil run` and `cimhil study` evaluate (EvaluationStages.WorstCaseSummaryAsync).
        var forward = new MappedForward(mapped, TestSet.FromDataset(test, 1000));
        var options = WorstCaseOptions.Default with { Steps = steps, Restarts = 0, PolishEvaluations = 0 };
        var threads = Gemm.OpenBlasThreads;
        Console.WriteLine($"LeNet-5, {test.Count} images, {mapped.DeviceCount} devices, {steps} steps, no restarts, no polish; GEMM {Gemm.Description}, " +
            $"OpenBLAS threads {threads}; {Environment.ProcessorCount} logical cores; median of {Repetitions} searches after a warm-up");

        if (Gemm.OpenBlasAvailable)
        {
            Report($"OpenBLAS, {threads} thread(s)", forward, bounds, options);
            Gemm.SetOpenBlasThreads(1);
            Report("OpenBLAS, 1 thread", forward, bounds, options);
            Gemm.SetOpenBlasThreads(Math.Max(1, threads));
        }

        using (Gemm.Use(GemmBackend.Managed))
        {
            Report("managed (no gate)", forward, bounds, options);
        }

        if (Gemm.OpenBlasAvailable)
        {
            GateCost();
        }

        return 0;
    }

    private static void Report(string name, MappedForward forward, DeviceBoundModel bounds, WorstCaseOptions options)
    {
        var search = new WorstCaseSearch(forward, bounds, options, Logger.None);
        search.Search(1); // warm-up (JIT, buffers)
        var perPass = new List<double>();
        for (var rep = 0; rep < Repetitions; rep++)
        {
            var run = search.Search(1);
            perPass.Add(run.Seconds / (run.GradientPasses + run.ForwardPasses));
        }

        perPass.Sort();
        Console.WriteLine($"{name,-24} {perPass[Repetitions / 2] * 1e3,8:F1} ms per pass ({string.Join(", ", perPass.Select(s => (s * 1e3).ToString("F1", CultureInfo.InvariantCulture)))})");
    }

    /// <summary>Time per 1×1×1 product through Gemm (checks + gate) and by a direct cblas_sgemm call, single-threaded and at the default count.</summary>
    private static unsafe void GateCost()
    {
        var handle = NativeLibrary.Load("libopenblas.so.0");
        var sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(handle, "cblas_sgemm");
        float[] a = [1f], b = [2f], c = [0f];
        var threads = Gemm.OpenBlasThreads;
        foreach (var count in new[] { 1, threads }.Distinct())
        {
            Gemm.SetOpenBlasThreads(count);
            var direct = Time(() =>
            {
                fixed (float* pa = a, pb = b, pc = c)
                {
                    sgemm(101, 111, 111, 1, 1, 1, 1f, pa, 1, pb, 1, 0f, pc, 1); // CblasRowMajor, CblasNoTrans (cblas.h)
                }
            });
            var gated = Time(() => Gemm.Multiply(false, false, 1, 1, 1, a, b, c));
            Console.WriteLine($"1×1×1 product, OpenBLAS {count} thread(s): direct {direct:F0} ns, through Gemm {gated:F0} ns (gate and operand checks: {gated - direct:F0} ns per product)");
        }

        Gemm.SetOpenBlasThreads(Math.Max(1, threads));
    }

    private static double Time(Action product)
    {
        for (var i = 0; i < GateCalls / 10; i++)
        {
            product();
        }

        var sw = Stopwatch.StartNew();
        for (var i = 0; i < GateCalls; i++)
        {
            product();
        }

        return sw.Elapsed.TotalNanoseconds / GateCalls;
    }
}

using System.Diagnostics;
using System.Globalization;
using CimHil.Simulation.Engine;

namespace CimHil.Bench;

/// <summary>GEMM throughput (GFLOP/s = 2·m·n·k / time) of OpenBLAS and the managed kernel on square and conv-like shapes.</summary>
internal static class GemmBench
{
    public static Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        Console.WriteLine($"GEMM backend by default: {Gemm.Description}; {Environment.ProcessorCount} logical cores");

        // Shapes: square, and the LeNet-5 conv GEMMs of a 128-sample batch (forward conv1, conv2; weight gradient of conv2).
        (string Name, bool TA, bool TB, int M, int N, int K)[] shapes =
        [
            ("square 256", false, false, 256, 256, 256),
            ("square 512", false, false, 512, 512, 512),
            ("square 1024", false, false, 1024, 1024, 1024),
            ("lenet conv1 fwd", false, false, 6, 128 * 784, 25),
            ("lenet conv2 fwd", false, false, 16, 128 * 100, 150),
            ("lenet conv2 dW", false, true, 16, 150, 128 * 100),
            ("lenet fc1 fwd", false, true, 128, 120, 400),
        ];
        var backends = Gemm.OpenBlasAvailable ? new[] { GemmBackend.OpenBlas, GemmBackend.Managed } : [GemmBackend.Managed];
        Console.WriteLine($"{"shape",-18} {"m",6} {"n",7} {"k",7} {"backend",-9} {"GFLOP/s",9}");
        foreach (var s in shapes)
        {
            var rng = new Random(1);
            var a = Fill(rng, s.M * s.K);
            var b = Fill(rng, s.K * s.N);
            var c = new float[s.M * s.N];
            foreach (var backend in backends)
            {
                using var _ = Gemm.Use(backend);
                Gemm.Multiply(s.TA, s.TB, s.M, s.N, s.K, a, b, c);
                var reps = 0;
                var sw = Stopwatch.StartNew();
                do
                {
                    Gemm.Multiply(s.TA, s.TB, s.M, s.N, s.K, a, b, c);
                    reps++;
                }
                while (sw.Elapsed.TotalSeconds < seconds);
                var gflops = 2.0 * s.M * s.N * s.K * reps / sw.Elapsed.TotalSeconds / 1e9;
                Console.WriteLine($"{s.Name,-18} {s.M,6} {s.N,7} {s.K,7} {backend,-9} {gflops,9:F2}");
            }
        }

        return Task.FromResult(0);
    }

    private static float[] Fill(Random rng, int n)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = (float)(rng.NextDouble() - 0.5);
        }

        return v;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using static CimHil.Simulation.Tests.Onnx.OnnxFixtures;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.Cim;

/// <summary>
/// Guards the evaluator's claim "deterministic for a seed whatever the thread count" against what runs beside it in one
/// process (xunit test classes in parallel; a server running two workflows): two Monte-Carlo evaluations at once, each
/// entering and leaving its single-threaded OpenBLAS scope, while a third thread multiplies large matrices with OpenBLAS's
/// own threads (as a trainer does). Every chip accuracy and every product must equal the one computed alone, bit for bit.
/// </summary>
[Collection(OpenBlasThreadCountCollection.Name)]
public sealed class MonteCarloConcurrencyStressTests
{
    private const int Chips = 6;
    private static readonly TimeSpan StressTime = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task MonteCarloAndOpenBlasProducts_RunningConcurrently_GiveTheResultsOfARunAlone()
    {
        var builtIn = await Checkpoint.LoadAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lenet5-fmnist.safetensors"));
        var (x, labels) = TestData();
        var data = new TestSet(x, labels, 128);
        var spec = new VariationSpec { Noise = new CalibratedNoiseModel(Device()) };
        var mapped = MappedNetwork.Map(builtIn, new CimMappingOptions { BitsPerDevice = 4, SliceCount = 2 }, spec.Window);
        var options = new MonteCarloOptions { Chips = Chips, Seed = 7, MaxDegreeOfParallelism = 2, BootstrapResamples = 10 };
        MonteCarloEvaluator Evaluator() => new(mapped, spec, options);

        // The reference: each computed alone, before anything else runs.
        var expected = Evaluator().EvaluateChips(data, 0, Chips);
        Assert.True(expected.Distinct().Count() > 1, "the chips should differ from each other");
        var product = new BlasProduct(256, 7);
        var expectedProduct = product.Compute();

        var failures = new ConcurrentQueue<string>();
        var runs = 0;
        var products = 0;
        var threadChanges = 0;
        var sw = Stopwatch.StartNew();

        void MonteCarloLoop(int worker)
        {
            for (var round = 0; sw.Elapsed < StressTime && failures.IsEmpty; round++)
            {
                // A fresh evaluator (fresh workspace pool) each round, as separate test classes have.
                var acc = Evaluator().EvaluateChips(data, 0, Chips);
                Interlocked.Increment(ref runs);
                if (!acc.SequenceEqual(expected))
                {
                    failures.Enqueue($"Monte-Carlo worker {worker}, round {round}: {string.Join(", ", acc)} instead of {string.Join(", ", expected)}");
                }

                // A gap between evaluations, so the single-threaded scopes open and close while products run.
                Thread.Sleep(worker + 1);
            }
        }

        void ProductLoop()
        {
            while (sw.Elapsed < StressTime && failures.IsEmpty)
            {
                var c = product.Compute();
                Interlocked.Increment(ref products);
                var diff = Enumerable.Range(0, c.Length).FirstOrDefault(i => c[i] != expectedProduct[i], -1);
                if (diff >= 0)
                {
                    failures.Enqueue($"OpenBLAS product element {diff}: {c[diff]} instead of {expectedProduct[diff]}");
                }
            }
        }

        void ThreadCountLoop()
        {
            // What `cimhil train --threads` / `study --threads` do at their start, here while everything else runs.
            for (var i = 0; sw.Elapsed < StressTime && failures.IsEmpty; i++)
            {
                Gemm.SetOpenBlasThreads(1 + (i % 2));
                Interlocked.Increment(ref threadChanges);
                Thread.Sleep(1);
            }
        }

        var threadsBefore = Gemm.OpenBlasThreads;
        await Task.WhenAll(
            Task.Factory.StartNew(ThreadCountLoop, TaskCreationOptions.LongRunning),
            Task.Factory.StartNew(() => MonteCarloLoop(0), TaskCreationOptions.LongRunning),
            Task.Factory.StartNew(() => MonteCarloLoop(1), TaskCreationOptions.LongRunning),
            Task.Factory.StartNew(ProductLoop, TaskCreationOptions.LongRunning));
        Gemm.SetOpenBlasThreads(Math.Max(1, threadsBefore));

        Assert.True(failures.IsEmpty, $"{failures.Count} differing result(s) after {runs} Monte-Carlo runs, {products} products and {threadChanges} thread-count changes (GEMM: {Gemm.Description}):\n{string.Join("\n", failures.Take(5))}");
        Console.WriteLine($"{nameof(MonteCarloConcurrencyStressTests)}: {runs} Monte-Carlo runs, {products} products, {threadChanges} thread-count changes in {sw.Elapsed.TotalSeconds:F1} s");
        Assert.True(runs >= 4, $"only {runs} Monte-Carlo runs in {StressTime.TotalSeconds} s");
    }

    /// <summary>A square single-precision product large enough that OpenBLAS splits it over its own threads.</summary>
    private sealed class BlasProduct
    {
        private readonly int _n;
        private readonly float[] _a;
        private readonly float[] _b;

        public BlasProduct(int n, int seed)
        {
            _n = n;
            var rng = new Random(seed);
            _a = Enumerable.Range(0, n * n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            _b = Enumerable.Range(0, n * n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        }

        public float[] Compute()
        {
            var c = new float[_n * _n];
            Gemm.Multiply(false, false, _n, _n, _n, _a, _b, c);
            return c;
        }
    }
}

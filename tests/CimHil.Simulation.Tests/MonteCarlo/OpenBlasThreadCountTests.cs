using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cim;

/// <summary>
/// What the Monte-Carlo loop does to OpenBLAS's process-wide thread count, and what a caller's count change (the CLI's
/// --threads, another workflow of a server) does while it runs: the loop keeps OpenBLAS single-threaded to its end (several
/// application threads must not call a multi-threaded sgemm at once), the caller's count takes effect afterwards.
/// </summary>
[Collection(OpenBlasThreadCountCollection.Name)]
public sealed class OpenBlasThreadCountTests
{
    [Fact]
    public void ThreadCountSetDuringAMonteCarloRun_IsAppliedWhenTheRunEnds_NotInsideIt()
    {
        Assert.True(Gemm.OpenBlasAvailable, $"OpenBLAS is needed here (scripts/setup.sh installs it): {Gemm.Description}");
        var before = Gemm.OpenBlasThreads;
        try
        {
            Assert.True(Gemm.SetOpenBlasThreads(3));
            var net = CimTestModels.LinearNet(41);
            var (images, labels) = CimTestModels.SelfLabelled(net, 200, 42);
            var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4 }, CimTestModels.Window);
            var seen = new List<int>();
            var evaluator = new MonteCarloEvaluator(mapped, VariationSpec.Parse("gaussian:0.1"), new MonteCarloOptions { Chips = 4, MaxDegreeOfParallelism = 2, BootstrapResamples = 10 });

            evaluator.EvaluateChips(new TestSet(images, labels, 100), 0, 4, new Recorder(_ =>
            {
                lock (seen)
                {
                    seen.Add(Gemm.OpenBlasThreads);
                    Gemm.SetOpenBlasThreads(2); // as `train --threads 2` starting beside the run
                    seen.Add(Gemm.OpenBlasThreads);
                }
            }));

            Assert.Equal(Enumerable.Repeat(1, 8), seen);
            Assert.Equal(2, Gemm.OpenBlasThreads);
        }
        finally
        {
            Gemm.SetOpenBlasThreads(Math.Max(1, before));
        }
    }

    [Fact]
    public void MonteCarloRun_WithOneWorker_AlsoRunsOpenBlasSingleThreaded()
    {
        // OpenBLAS 0.3.21's sgemm rounds differently with 1 and 2 threads (LeNet-5's fc2 product: 113 of 2688 elements), so
        // one worker under the default count gave other accuracies than two workers for the same seed.
        Assert.True(Gemm.OpenBlasAvailable, $"OpenBLAS is needed here (scripts/setup.sh installs it): {Gemm.Description}");
        var before = Gemm.OpenBlasThreads;
        try
        {
            Assert.True(Gemm.SetOpenBlasThreads(2));
            var net = CimTestModels.LinearNet(43);
            var (images, labels) = CimTestModels.SelfLabelled(net, 200, 44);
            var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4 }, CimTestModels.Window);
            var seen = new List<int>();
            var oneWorker = new MonteCarloOptions { Chips = 3, MaxDegreeOfParallelism = 1, BootstrapResamples = 10 };

            new MonteCarloEvaluator(mapped, VariationSpec.Parse("gaussian:0.1"), oneWorker)
                .EvaluateChips(new TestSet(images, labels, 100), 0, 3, new Recorder(_ => seen.Add(Gemm.OpenBlasThreads)));

            Assert.Equal([1, 1, 1], seen);
            Assert.Equal(2, Gemm.OpenBlasThreads);
        }
        finally
        {
            Gemm.SetOpenBlasThreads(Math.Max(1, before));
        }
    }

    /// <summary>Calls its handler at once on the reporting thread.</summary>
    private sealed class Recorder(Action<MonteCarloProgress> report) : IProgress<MonteCarloProgress>
    {
        public void Report(MonteCarloProgress value) => report(value);
    }
}

using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.WorstCase;
using CimHil.Tests.Shared;
using Serilog;

namespace CimHil.Workflows.Tests;

/// <summary>
/// The worst-case stage of <c>run</c> and <c>study</c> (<see cref="EvaluationStages.WorstCaseSummaryAsync"/>) takes its search's
/// passes from the workflow's <see cref="Workflow{TSettings}.SearchPasses"/> (the GPU's under <c>--device cuda</c>, docs/gpu.md),
/// and what it writes is the CPU's when those passes compute what the CPU's do.
/// </summary>
public sealed class WorstCaseStagePassesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cimhil-wc-passes-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task WorstCaseSummary_WithSearchPasses_TakesThePassesFromThem_AndWritesTheCpuCurveAndDeltasByteForByte()
    {
        var network = ModelZoo.CreateLeNet5(seed: 5);
        var test = RandomImages(40, seed: 7);
        var bounds = DeviceBoundModel.Parse("gaussian:0.1");
        var search = WorstCaseOptions.Default with { Steps = 3, Restarts = 0, Seed = 2 };
        var log = new LoggerConfiguration().CreateLogger();
        var opened = new List<CountingPasses>();

        var cpu = await EvaluationStages.WorstCaseSummaryAsync(network, new CimMappingOptions(), bounds, search, [0, 1], test, Path.Combine(_folder, "cpu"), log, "wc", SynchronousProgress<StageProgress>.None, CancellationToken.None);
        var seam = await EvaluationStages.WorstCaseSummaryAsync(network, new CimMappingOptions(), bounds, search, [0, 1], test, Path.Combine(_folder, "seam"), log, "wc", SynchronousProgress<StageProgress>.None, CancellationToken.None,
            forward =>
            {
                opened.Add(new CountingPasses(forward));
                return opened[^1];
            });

        var passes = Assert.Single(opened);
        Assert.True(passes.Gradients > 0 && passes.Evaluations > 0, "the search took no pass from the workflow's passes");
        Assert.Equal(cpu.Points.Select(p => (p.K, p.Accuracy)), seam.Points.Select(p => (p.K, p.Accuracy)));
        var delta = WorstCaseEvaluation.FileName(1);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_folder, "cpu", delta)), File.ReadAllBytes(Path.Combine(_folder, "seam", delta)));
    }

    private static Dataset RandomImages(int count, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * 28 * 28];
        for (var i = 0; i < images.Length; i++)
        {
            images[i] = (float)random.NextDouble();
        }

        return new Dataset(images, [.. Enumerable.Range(0, count).Select(_ => random.Next(10))], [1, 28, 28], 10);
    }
}

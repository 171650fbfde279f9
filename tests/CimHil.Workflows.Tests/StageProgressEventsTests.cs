using System.Text.Json;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using Serilog.Core;

namespace CimHil.Workflows.Tests;

/// <summary>
/// The progress events the evaluation stages report (issue #19, item 3): numbers, not strings, one per chip and per search
/// step, equal to what the stage returns, and serialisable as they are for a server's event stream.
/// </summary>
public class StageProgressEventsTests
{
    /// <summary>Random 28×28 images with random labels: an untrained LeNet-5 judged on them is all the stages need.</summary>
    private static Dataset RandomImages(int n, int seed)
    {
        var rng = new Random(seed);
        var images = Enumerable.Range(0, n * 28 * 28).Select(_ => (float)rng.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(10)).ToArray();
        return new Dataset(images, labels, [1, 28, 28], 10);
    }

    [Fact]
    public async Task MonteCarloStage_ReportsOneChipEventPerChipInOrder_WithTheSummaryAccuracies()
    {
        var events = new List<StageProgress>();
        var network = ModelZoo.Create(ModelZoo.LeNet5, 1);
        var options = new MonteCarloOptions { Chips = 5, Seed = 2, MaxDegreeOfParallelism = 2, BootstrapResamples = 50 };

        var summary = await EvaluationStages.MonteCarloSummaryAsync(
            network, new CimMappingOptions { BitsPerDevice = 4 }, VariationSpec.Parse("gaussian:0.1"), options, RandomImages(40, 3), "unused", "monte-carlo", new SynchronousProgress<StageProgress>(events.Add), CancellationToken.None);

        var chips = events.Select(e => Assert.IsType<MonteCarloChipProgress>(e)).ToList();
        Assert.Equal(5, chips.Count);
        Assert.Equal([1, 2, 3, 4, 5], chips.Select(c => c.ChipsDone));
        Assert.Equal([1.0, 2, 3, 4, 5], chips.Select(c => c.Done));
        Assert.All(chips, c => Assert.Equal(5, c.Total));
        Assert.All(chips, c => Assert.Equal("monte-carlo", c.Stage));
        Assert.Equal([0, 1, 2, 3, 4], chips.Select(c => c.ChipIndex).Order());
        Assert.All(chips, c => Assert.Equal(summary.ChipAccuracies[c.ChipIndex], c.ChipAccuracy));
        Assert.True(chips.Zip(chips.Skip(1)).All(p => p.Second.ElapsedSeconds >= p.First.ElapsedSeconds));
    }

    [Fact]
    public async Task WorstCaseStage_ReportsEveryStepAndEveryBound_WithTheSummaryAccuracies()
    {
        var events = new List<StageProgress>();
        var network = ModelZoo.Create(ModelZoo.LeNet5, 1);
        var search = WorstCaseOptions.Default with { Steps = 3, Restarts = 0, PolishEvaluations = 0 };
        var folder = Directory.CreateTempSubdirectory("cimhil-wc-").FullName;

        var summary = await EvaluationStages.WorstCaseSummaryAsync(
            network, new CimMappingOptions { BitsPerDevice = 4 }, DeviceBoundModel.Parse("gaussian-conductance:0.05"), search, [0, 1, 2], RandomImages(30, 4), folder, Logger.None,
            "worst-case", new SynchronousProgress<StageProgress>(events.Add), CancellationToken.None);

        var steps = events.Select(e => Assert.IsType<WorstCaseStepProgress>(e)).ToList();
        var perBound = search.Steps + 1;
        Assert.Equal(2 * perBound, steps.Count(s => !s.BoundFinished));
        Assert.Equal(Enumerable.Range(1, 2 * perBound).Select(i => (double)i), steps.Where(s => !s.BoundFinished).Select(s => s.Done));
        Assert.All(steps, s => Assert.Equal(2 * perBound, s.Total));
        var bounds = steps.Where(s => s.BoundFinished).ToList();
        Assert.Equal(summary.Points.Select(p => p.K), bounds.Select(b => b.K));
        Assert.Equal(summary.Points.Select(p => p.Accuracy), bounds.Select(b => b.Accuracy));
    }

    [Fact]
    public void Events_SerialisedAsStageProgress_CarryTheirKindAndNumbers()
    {
        StageProgress[] events =
        [
            new StageProgress("calibrate", 1, 1) { ElapsedSeconds = 2.5 },
            MonteCarloChipProgress.Of("monte-carlo", new MonteCarloProgress(3, 10, 7, 0.875, 1.5)),
            WorstCaseStepProgress.Of("worst-case", new WorstCaseProgress(2, 1, 3, 0, 4, 9, 20, 0.5, false, 3.25)),
        ];

        var json = JsonDocument.Parse(JsonSerializer.Serialize(events, WorkflowJson.Options)).RootElement;

        Assert.Equal(["stage", "monte-carlo-chip", "worst-case-step"], json.EnumerateArray().Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(2.5, json[0].GetProperty("elapsedSeconds").GetDouble());
        var mc = json[1];
        Assert.Equal(3, mc.GetProperty("done").GetDouble());
        Assert.Equal(10, mc.GetProperty("total").GetDouble());
        Assert.Equal(7, mc.GetProperty("chipIndex").GetInt32());
        Assert.Equal(0.875, mc.GetProperty("chipAccuracy").GetDouble());
        Assert.Equal(1.5, mc.GetProperty("elapsedSeconds").GetDouble());
        var wc = json[2];
        Assert.Equal(9, wc.GetProperty("done").GetDouble());
        Assert.Equal(20, wc.GetProperty("total").GetDouble());
        Assert.Equal(2, wc.GetProperty("k").GetDouble());
        Assert.Equal(0.5, wc.GetProperty("accuracy").GetDouble());
        Assert.Equal(3.25, wc.GetProperty("elapsedSeconds").GetDouble());

        // And read back as what they were, for a client of the event stream.
        var back = JsonSerializer.Deserialize<StageProgress[]>(JsonSerializer.Serialize(events, WorkflowJson.Options), WorkflowJson.Options)!;
        Assert.Equal(events, back);
    }

    [Fact]
    public void WorstCaseOfOnlyKZero_CountsItsBoundAsOneUnit()
    {
        var e = WorstCaseStepProgress.Of("worst-case", new WorstCaseProgress(0, 0, 1, -1, -1, 0, 0, 0.9, true, 0.1));

        Assert.Equal((1.0, 1.0), (e.Done, e.Total));
        Assert.Equal(0.9, e.Accuracy);
    }
}

using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.WorstCase;

/// <summary>The per-step and per-bound progress of the worst-case sweep (issue #19, item 3).</summary>
public sealed class WorstCaseProgressTests
{
    [Fact]
    public async Task Sweep_ReportsEveryStepOfEveryStartAndEachBound_WithTheResultAccuracies()
    {
        var net = TwoLayer(7, 6, 10, 3);
        var data = SelfLabelled(net, 200, 11);
        var options = WorstCaseOptions.Default with { Steps = 6, Restarts = 1 };
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var search = new WorstCaseSearch(new MappedForward(Map(net), data), bounds, options, Log);
        var events = new List<WorstCaseProgress>();

        var points = await search.SweepAsync([2, 0, 1], null, new Recorder(events.Add), CancellationToken.None);

        // k = 0 needs no search; k = 1 and k = 2 take (restarts + 1)·(steps + 1) gradient steps each, in order.
        var steps = events.Where(e => !e.BoundFinished).ToList();
        var perSearch = (options.Restarts + 1) * (options.Steps + 1);
        Assert.Equal(2 * perSearch, steps.Count);
        Assert.Equal(Enumerable.Range(1, 2 * perSearch).Select(i => (long)i), steps.Select(e => e.StepsDone));
        Assert.All(events, e => Assert.Equal(2 * perSearch, e.StepsTotal));
        Assert.Equal(
            [.. from k in new[] { 1.0, 2.0 } from start in Enumerable.Range(0, options.Restarts + 1) from step in Enumerable.Range(0, options.Steps + 1) select (k, start, step)],
            steps.Select(e => (e.K, e.Start, e.Step)));
        Assert.All(steps, e => Assert.InRange(e.Accuracy, 0, 1));

        // One closing event per bound, in ascending k, carrying the point's accuracy exactly.
        var finished = events.Where(e => e.BoundFinished).ToList();
        Assert.Equal([0.0, 1, 2], finished.Select(e => e.K));
        Assert.Equal([0, 1, 2], finished.Select(e => e.Bound));
        Assert.All(finished, e => Assert.Equal(3, e.Bounds));
        Assert.Equal(points.Select(p => p.Accuracy), finished.Select(e => e.Accuracy));
        Assert.Equal(2 * perSearch, finished[^1].StepsDone);
        for (var i = 1; i < events.Count; i++)
        {
            Assert.True(events[i].ElapsedSeconds >= events[i - 1].ElapsedSeconds, $"elapsed went back at event {i}");
        }

        // The step accuracies are the search's own trace: the same numbers the result records.
        var run = points.Single(p => p.K == 1).Run!;
        Assert.Equal(run.Trace.Select(t => t.Accuracy), steps.Where(e => e.K == 1).Select(e => e.Accuracy));
    }

    [Fact]
    public async Task Sweep_WithProgress_FindsTheSameWorstCaseAsWithout()
    {
        var net = TwoLayer(8, 6, 10, 3);
        var data = SelfLabelled(net, 200, 12);
        var options = Fast(WorstCaseOptions.Default);
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        WorstCaseSearch Search() => new(new MappedForward(Map(net), data), bounds, options, Log);

        var quiet = await Search().SweepAsync([1, 3]);
        var watched = await Search().SweepAsync([1, 3], null, new Recorder(_ => { }), CancellationToken.None);

        Assert.Equal(quiet.Select(p => p.Accuracy), watched.Select(p => p.Accuracy));
        Assert.Equal(quiet.Select(p => p.SearchAccuracy), watched.Select(p => p.SearchAccuracy));
    }

    private sealed class Recorder(Action<WorstCaseProgress> report) : IProgress<WorstCaseProgress>
    {
        public void Report(WorstCaseProgress value) => report(value);
    }
}

using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cim;

/// <summary>The per-chip progress the Monte-Carlo evaluator reports (issue #19, item 3): what a terminal bar and a live page are driven by.</summary>
public sealed class MonteCarloProgressTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 11)]
    public void Run_ReportsOneEventPerChip_DoneCountsInOrder_AccuraciesAsInTheResult(int workers, int chips)
    {
        var net = CimTestModels.LinearNet(31);
        var (images, labels) = CimTestModels.SelfLabelled(net, 300, 32);
        var data = new TestSet(images, labels, 100);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 3 }, CimTestModels.Window);
        var events = new List<MonteCarloProgress>();

        // Recorded as delivered: the order a watcher sees is the order the list gets.
        var result = new MonteCarloEvaluator(mapped, VariationSpec.Parse("gaussian:0.1"), new MonteCarloOptions { Chips = chips, MaxDegreeOfParallelism = workers, BootstrapResamples = 100 })
            .Run(data, new Recorder(p => { lock (events) { events.Add(p); } }));

        Assert.Equal(chips, events.Count);
        Assert.Equal(Enumerable.Range(1, chips), events.Select(e => e.ChipsDone));
        Assert.All(events, e => Assert.Equal(chips, e.ChipsTotal));
        Assert.Equal(Enumerable.Range(0, chips), events.Select(e => e.ChipIndex).Order());
        Assert.All(events, e => Assert.Equal(result.ChipAccuracies[e.ChipIndex], e.ChipAccuracy));
        for (var i = 1; i < events.Count; i++)
        {
            Assert.True(events[i].ElapsedSeconds >= events[i - 1].ElapsedSeconds, $"elapsed went back at event {i}");
        }

        Assert.InRange(events[^1].ElapsedSeconds, 0, result.ElapsedSeconds);
    }

    [Fact]
    public void Run_WithAndWithoutProgress_GivesTheSameAccuracies()
    {
        var net = CimTestModels.LinearNet(33);
        var (images, labels) = CimTestModels.SelfLabelled(net, 300, 34);
        var data = new TestSet(images, labels, 100);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4 }, CimTestModels.Window);
        var spec = new VariationSpec { Noise = new CalibratedNoiseModel(CimTestModels.Device()) };
        MonteCarloResult Run(IProgress<MonteCarloProgress>? progress) =>
            new MonteCarloEvaluator(mapped, spec, new MonteCarloOptions { Chips = 6, Seed = 9, MaxDegreeOfParallelism = 2, BootstrapResamples = 100 }).Run(data, progress);

        Assert.Equal(Run(null).ChipAccuracies.ToArray(), Run(new Recorder(_ => { })).ChipAccuracies.ToArray());
    }

    /// <summary>Calls its handler at once on the reporting thread (Progress&lt;T&gt; would post it later, out of order).</summary>
    private sealed class Recorder(Action<MonteCarloProgress> report) : IProgress<MonteCarloProgress>
    {
        public void Report(MonteCarloProgress value) => report(value);
    }
}

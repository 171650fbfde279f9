using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.WorstCase;

/// <summary>
/// The search loop with its state resident on a device (<see cref="ResidentDescent"/>, docs/gpu.md): run over the GPU kernels'
/// arithmetic written in C# (<see cref="KernelMathSearchState"/>), it must keep the CPU loop's Δ, trace and accuracy bit for bit.
/// </summary>
public sealed class ResidentDescentTests
{
    public static TheoryData<string, int> Methods => new()
    {
        { "default", 1 },
        { "default", 2 },
        { "paper", 1 },
        { "paper", 2 },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Search_OnTheKernelsArithmetic_KeepsTheCpuLoopsDeltaAndTrace_BitForBit(string method, int slices)
    {
        var (forward, bounds) = Problem(slices);
        var options = Fast(WorstCaseOptions.Preset(method)) with { Restarts = 2 };
        var resident = new ResidentPasses(forward);

        var cpu = new WorstCaseSearch(forward, bounds, options, Log).Search(1.0);
        var device = new WorstCaseSearch(forward, bounds, options, Log, resident).Search(1.0);

        var layout = new FlatDeviceLayout(forward.Mapped);
        Assert.Equal(layout.Flatten(cpu.Delta.Layers), layout.Flatten(device.Delta.Layers));
        Assert.Equal(cpu.Trace.Select(p => (p.Start, p.Step, p.Accuracy, p.Loss)), device.Trace.Select(p => (p.Start, p.Step, p.Accuracy, p.Loss)));
        Assert.Equal((cpu.Correct, cpu.AccuracyBeforePolish, cpu.GradientPasses, cpu.ForwardPasses), (device.Correct, device.AccuracyBeforePolish, device.GradientPasses, device.ForwardPasses));

        // The box goes up once per bound, each start once; the search really moved (else equality proves nothing).
        Assert.Equal((1, options.Restarts + 1), (resident.State.BoxLoads, resident.State.StartLoads));
        Assert.True(cpu.Correct < forward.Data.Count * new WorstCaseSearch(forward, bounds, options, Log).CleanAccuracy, "the search found nothing");
    }

    [Fact]
    public async Task Sweep_OnTheKernelsArithmetic_GivesTheCpuCurve_AndLoadsEachBoxOnce()
    {
        var (forward, bounds) = Problem(1);
        var options = Fast(WorstCaseOptions.Default);
        var resident = new ResidentPasses(forward);

        var cpu = await new WorstCaseSearch(forward, bounds, options, Log).SweepAsync([0, 0.5, 1, 2]);
        var device = await new WorstCaseSearch(forward, bounds, options, Log, resident).SweepAsync([0, 0.5, 1, 2]);

        Assert.Equal(cpu.Select(p => p.Accuracy), device.Select(p => p.Accuracy));
        Assert.Equal(3, resident.State.BoxLoads);
    }

    [Fact]
    public void Search_WithConverters_RunsTheCpuLoop_EvenWhenThePassesOfferADescent()
    {
        var net = TwoLayer(5, 6, 8, 3);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { DacBits = 6, AdcBits = 6 }, Window);
        var data = SelfLabelled(net, 120, 9);
        mapped.CalibratePeriphery(data.Batches[0]);
        var forward = new MappedForward(mapped, data);
        var resident = new ResidentPasses(forward);

        var search = new WorstCaseSearch(forward, DeviceBoundModel.Uniform(0.02, Window), Fast(WorstCaseOptions.Default), Log, resident);
        search.Search(1.0);

        Assert.NotSame(resident, search.Descent);
        Assert.Equal(0, resident.State.StartLoads);
    }

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(0.25, 2)]
    [InlineData(0.5 / 1024, 3)]
    [InlineData(0.999, 4)]
    public void FocusSelect_ByRadixOnTheFloatBits_PicksTheSortedRank(double focus, int seed)
    {
        var rng = new Random(seed);

        // Negative, zero, NaN and repeated margins, as a pass produces them; a few values in a narrow band force all four passes.
        var margins = Enumerable.Range(0, 3001).Select(i => (i % 97) switch
        {
            0 => float.NaN,
            1 => 0f,
            2 => -0f,
            3 => 1.25f,
            4 => 1.2500001f,
            _ => (float)((rng.NextDouble() * 8) - 2),
        }).ToArray();

        var positive = margins.Where(m => m > 0).Order().ToArray();
        var expected = positive[DescentStep.FocusRank(focus, positive.Length)];

        Assert.Equal(expected, KernelMathSearchState.RadixSelect(margins, focus));
    }

    [Fact]
    public void FocusSelect_WithoutPositiveMargins_IsInfinite_AndOneMarginIsItself()
    {
        Assert.Equal(double.PositiveInfinity, KernelMathSearchState.RadixSelect([-1f, 0f, float.NaN], 0.5));
        Assert.Equal(3.5f, KernelMathSearchState.RadixSelect([-1f, 3.5f], 1.0 / 1024));
    }

    [Fact]
    public void FlatDeviceLayout_OrdersDevicesAsARandomPointDrawsThem_AndRoundTrips()
    {
        var (forward, bounds) = Problem(2);
        var mapped = forward.Mapped;
        var box = PerturbationBox.Create(mapped, bounds.UnitBounds(mapped), 1.5, bounds.RespectsZeroConductance);
        var point = ConductancePerturbation.Zero(mapped);
        box.RandomPoint(new SimulationRng(42), point);
        var layout = new FlatDeviceLayout(mapped);

        var flat = layout.Flatten(point.Layers);
        var (lower, upper) = (layout.Flatten(box.Lower), layout.Flatten(box.Upper));
        var rng = new SimulationRng(42);
        Assert.Equal(point.DeviceCount, flat.Length);
        for (var i = 0; i < flat.Length; i++)
        {
            Assert.Equal(lower[i] + ((upper[i] - lower[i]) * rng.NextDouble()), flat[i]);
        }

        var back = ConductancePerturbation.Zero(mapped);
        layout.Unflatten(flat, back.Layers);
        Assert.Equal(flat, layout.Flatten(back.Layers));
    }

    private static (MappedForward Forward, DeviceBoundModel Bounds) Problem(int slices)
    {
        var net = TwoLayer(7, 6, 10, 3);
        var data = SelfLabelled(net, 300, 11, batchSize: 128);
        return (new MappedForward(Map(net, slices: slices), data), DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) }));
    }

    // The CPU's passes for the polish plus the resident loop over the kernels' arithmetic, as CudaWorstCaseDescent pairs them.
    private sealed class ResidentPasses : IWorstCasePasses, IWorstCaseDescent
    {
        private readonly MappedForward _forward;
        private readonly ResidentDescent _descent;

        public ResidentPasses(MappedForward forward)
        {
            _forward = forward;
            State = new KernelMathSearchState(forward);
            _descent = new ResidentDescent(State);
        }

        public KernelMathSearchState State { get; }

        public PassOutcome Evaluate(IReadOnlyList<LayerConductances> conductances, double kappa, double upper) => _forward.Evaluate(conductances, kappa, upper);

        public PassOutcome Gradient(IReadOnlyList<LayerConductances> conductances, double kappa, double upper) => _forward.Gradient(conductances, kappa, upper);

        public DescentResult Descend(DescentRequest request, CancellationToken cancellationToken) => _descent.Descend(request, cancellationToken);
    }
}

using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.WorstCase;

/// <summary>Adam moments per device for the worst-case search (Kingma &amp; Ba, Algorithm 1), on u = Δ/h.</summary>
internal sealed class AdamState(MappedNetwork mapped)
{
    public const double Beta1 = 0.9;
    public const double Beta2 = 0.999;
    public const double Epsilon = 1e-8;

    public LayerConductances[] M { get; } = mapped.Layers.Select(l => new LayerConductances(l.SliceCount, l.Targets.WeightCount)).ToArray();

    public LayerConductances[] V { get; } = mapped.Layers.Select(l => new LayerConductances(l.SliceCount, l.Targets.WeightCount)).ToArray();
}

using System.Collections.Immutable;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Read noise: program each sampled cell to one of the targets, then read it repeatedly without programming.</summary>
public sealed record ReadNoiseSpec(ImmutableArray<double> TargetsS, int Reads, SampleSpec Sample)
{
    internal static ReadNoiseSpec Parse(JsonSection s)
    {
        s.AllowOnly("targetsS", "reads", "sampleCount");
        return new ReadNoiseSpec(ConductanceTargets.Parse(s), s.Int("reads", 2, 1_000_000), SampleSpec.Parse(s));
    }
}

using System.Collections.Immutable;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Device-to-device variation: program every (sampled) cell to each target and read back.</summary>
public sealed record MultilevelSpec(ImmutableArray<double> TargetsS, SampleSpec Sample)
{
    internal static MultilevelSpec Parse(JsonSection s)
    {
        s.AllowOnly("targetsS", "sampleCount");
        return new MultilevelSpec(ConductanceTargets.Parse(s), SampleSpec.Parse(s));
    }
}

using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Cycle-to-cycle variation: repeatedly program a cell to the start target, apply one fixed probe pulse, read.</summary>
public sealed record CycleToCycleSpec(double StartTargetS, PulseSpec Probe, PulsePolarity ProbePolarity, int Repeats, int ProbeReads, SampleSpec Sample)
{
    internal static CycleToCycleSpec Parse(JsonSection s)
    {
        s.AllowOnly("startTargetS", "probe", "probePolarity", "repeats", "probeReads", "sampleCount");
        return new CycleToCycleSpec(s.Positive("startTargetS"), PulseSpec.Parse(s.Section("probe")), s.Enum("probePolarity", PulsePolarity.Set), s.Int("repeats", 2, 100_000), s.Int("probeReads", 1, 1, 1000), SampleSpec.Parse(s));
    }
}

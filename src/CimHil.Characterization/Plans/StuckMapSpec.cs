using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Stuck-cell map: strong SET pulses then a read, strong RESET pulses then a read, for every cell.</summary>
public sealed record StuckMapSpec(PulseSpec SetPulse, PulseSpec ResetPulse, int Pulses)
{
    internal static StuckMapSpec Parse(JsonSection s)
    {
        s.AllowOnly("set", "reset", "pulses");
        return new StuckMapSpec(PulseSpec.Parse(s.Section("set")), PulseSpec.Parse(s.Section("reset")), s.Int("pulses", 1, 1, 10_000));
    }
}

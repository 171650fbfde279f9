using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>A fixed pulse: amplitude, width, optional gate voltage and compliance.</summary>
public sealed record PulseSpec(double AmplitudeV, double WidthSeconds, double? GateVoltageV, double? ComplianceA)
{
    public ProgramPulse ToPulse(PulsePolarity polarity) => new()
    {
        Polarity = polarity,
        AmplitudeV = AmplitudeV,
        WidthSeconds = WidthSeconds,
        GateVoltageV = GateVoltageV,
        ComplianceA = ComplianceA,
    };

    public static PulseSpec Parse(JsonSection s)
    {
        s.AllowOnly("amplitudeV", "widthSeconds", "gateV", "complianceA");
        return new PulseSpec(s.Positive("amplitudeV"), s.Positive("widthSeconds"), s.OptionalDouble("gateV", 0, null), s.OptionalDouble("complianceA", 0, null));
    }
}

using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Forming of fresh RRAM cells: a pulse with compliance, raised by a step until the cell forms or the maximum is reached.</summary>
public sealed record FormingSpec(double AmplitudeV, double StepV, double MaxAmplitudeV, double WidthSeconds, double ComplianceA, double? GateVoltageV)
{
    internal static FormingSpec Parse(JsonSection s)
    {
        s.AllowOnly("amplitudeV", "stepV", "maxAmplitudeV", "widthSeconds", "complianceA", "gateV");
        var a = s.Positive("amplitudeV");
        return new FormingSpec(a, s.Double("stepV", 0, 0, null), s.Double("maxAmplitudeV", a, a, null), s.Positive("widthSeconds"), s.Positive("complianceA"), s.OptionalDouble("gateV", 0, null));
    }
}

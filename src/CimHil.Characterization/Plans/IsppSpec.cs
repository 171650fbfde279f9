using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Incremental-step pulse programming of one polarity: amplitudes start, start+step, … up to max.</summary>
public sealed record IsppSpec(double StartV, double StepV, double MaxV, double WidthSeconds, double? GateVoltageV, double? ComplianceA)
{
    /// <summary>The amplitude of the n-th consecutive pulse of this polarity (n from 0).</summary>
    public double AmplitudeV(int n) => Math.Min(MaxV, StartV + (n * StepV));

    public static IsppSpec Parse(JsonSection s)
    {
        s.AllowOnly("startV", "stepV", "maxV", "widthSeconds", "gateV", "complianceA");
        var start = s.Positive("startV");
        var max = s.Positive("maxV");
        if (max < start)
        {
            throw s.Error("maxV", $"{max} V is below startV {start} V");
        }

        return new IsppSpec(start, s.Double("stepV", 0, 0, null), max, s.Positive("widthSeconds"), s.OptionalDouble("gateV", 0, null), s.OptionalDouble("complianceA", 0, null));
    }
}

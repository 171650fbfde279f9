using CimHil.Core.Safety;

namespace CimHil.Instruments.DriverSupport;

/// <summary>Builds a driver's hardware ceilings (<c>ChipDriver.Maxima</c>), which name one voltage for every operation.</summary>
public static class HardwareMaxima
{
    /// <summary>
    /// The same <paramref name="voltageV"/> for SET, RESET, FORM, read and gate (one output drives them all); a driver whose
    /// read path is narrower states it with <c>with { MaxReadVoltageV = … }</c>.
    /// </summary>
    public static SafetyLimits Uniform(double voltageV, double complianceA, double minPulseWidthSeconds, double maxPulseWidthSeconds) => new()
    {
        MaxSetVoltageV = voltageV,
        MaxResetVoltageV = voltageV,
        MaxFormVoltageV = voltageV,
        MaxReadVoltageV = voltageV,
        MaxGateVoltageV = voltageV,
        MaxComplianceA = complianceA,
        MaxPulseWidthSeconds = maxPulseWidthSeconds,
        MinPulseWidthSeconds = minPulseWidthSeconds,
    };
}

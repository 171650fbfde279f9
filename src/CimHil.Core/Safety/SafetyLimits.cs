namespace CimHil.Core.Safety;

/// <summary>
/// The bench's hard limits, from <c>chip.safety</c> in hil-config.json. Nothing is sent to an instrument
/// that exceeds one of them; they are checked once more against the driver's own maxima at config load.
/// </summary>
public sealed record SafetyLimits
{
    public required double MaxSetVoltageV { get; init; }

    public required double MaxResetVoltageV { get; init; }

    public required double MaxFormVoltageV { get; init; }

    public required double MaxReadVoltageV { get; init; }

    public required double MaxGateVoltageV { get; init; }

    /// <summary>The largest current compliance any operation may set; also the compliance of a pulse that names none.</summary>
    public required double MaxComplianceA { get; init; }

    public required double MaxPulseWidthSeconds { get; init; }

    public required double MinPulseWidthSeconds { get; init; }

    /// <summary>Conservative limits for a 1T1R HfOx array; the shipped hil-config.json states its own.</summary>
    public static SafetyLimits Default { get; } = new()
    {
        MaxSetVoltageV = 3.0,
        MaxResetVoltageV = 3.5,
        MaxFormVoltageV = 5.0,
        MaxReadVoltageV = 0.5,
        MaxGateVoltageV = 3.0,
        MaxComplianceA = 500e-6,
        MaxPulseWidthSeconds = 1e-3,
        MinPulseWidthSeconds = 10e-9,
    };
}

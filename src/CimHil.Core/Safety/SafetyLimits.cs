using CimHil.Core.Chip;

namespace CimHil.Core.Safety;

/// <summary>
/// The bench's hard limits, from <c>chip.safety</c> in hil-config.json, and the one place they are checked: nothing is sent
/// to an instrument that fails one of the checks below. <see cref="SafeChip"/> checks the configured limits before every
/// operation; a driver checks its own hardware maxima (a <see cref="SafetyLimits"/> too) with the same methods, and the
/// configured limits are checked against those maxima at config load.
/// </summary>
public sealed record SafetyLimits
{
    private const string MultiplyOperation = "vector-matrix multiply";

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

    /// <summary>
    /// These limits narrowed to what a driver's hardware can do (<paramref name="maxima"/>): each maximum no higher, the
    /// shortest pulse no shorter. What a printed config section carries, so it loads beside the driver's maxima as it is.
    /// </summary>
    public SafetyLimits Within(SafetyLimits maxima)
    {
        ArgumentNullException.ThrowIfNull(maxima);
        var minWidth = Math.Max(MinPulseWidthSeconds, maxima.MinPulseWidthSeconds);
        return new SafetyLimits
        {
            MaxSetVoltageV = Math.Min(MaxSetVoltageV, maxima.MaxSetVoltageV),
            MaxResetVoltageV = Math.Min(MaxResetVoltageV, maxima.MaxResetVoltageV),
            MaxFormVoltageV = Math.Min(MaxFormVoltageV, maxima.MaxFormVoltageV),
            MaxReadVoltageV = Math.Min(MaxReadVoltageV, maxima.MaxReadVoltageV),
            MaxGateVoltageV = Math.Min(MaxGateVoltageV, maxima.MaxGateVoltageV),
            MaxComplianceA = Math.Min(MaxComplianceA, maxima.MaxComplianceA),
            // A bench whose shortest pulse is longer than the configured longest gets exactly its shortest.
            MaxPulseWidthSeconds = Math.Max(minWidth, Math.Min(MaxPulseWidthSeconds, maxima.MaxPulseWidthSeconds)),
            MinPulseWidthSeconds = minWidth,
        };
    }

    /// <summary>Throws <see cref="SafetyLimitException"/> if the pulse exceeds a limit; returns the pulse with its compliance filled in.</summary>
    public ProgramPulse Check(ProgramPulse pulse)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        var op = pulse.Polarity == PulsePolarity.Set ? "SET pulse" : "RESET pulse";
        var maxV = pulse.Polarity == PulsePolarity.Set ? MaxSetVoltageV : MaxResetVoltageV;
        RequireFinite(op, "amplitude", pulse.AmplitudeV);
        if (pulse.AmplitudeV < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pulse), $"{op}: amplitude {pulse.AmplitudeV} V must be positive; the polarity sets the direction");
        }

        Max(op, "|amplitude|", pulse.AmplitudeV, maxV, "V");
        CheckWidth(op, pulse.WidthSeconds);
        CheckGate(op, pulse.GateVoltageV);
        if (pulse.ComplianceA is { } compliance)
        {
            CheckCompliance(op, compliance);
            return pulse;
        }

        return pulse with { ComplianceA = MaxComplianceA };
    }

    /// <summary>Throws <see cref="SafetyLimitException"/> if the forming pulse exceeds a limit.</summary>
    public void Check(FormingPulse pulse)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        const string op = "forming pulse";
        RequireFinite(op, "amplitude", pulse.AmplitudeV);
        Max(op, "|amplitude|", Math.Abs(pulse.AmplitudeV), MaxFormVoltageV, "V");
        CheckWidth(op, pulse.WidthSeconds);
        CheckCompliance(op, pulse.ComplianceA);
        CheckGate(op, pulse.GateVoltageV);
    }

    /// <summary>Throws <see cref="SafetyLimitException"/> unless 0 V &lt; <paramref name="readVoltageV"/> ≤ the read maximum.</summary>
    public void CheckRead(string op, double readVoltageV)
    {
        RequireFinite(op, "read voltage", readVoltageV);

        // 0 V measures no conductance, and every driver reads with a positive bias (conductance = I / V): a negative
        // read voltage would report a negative current as a negative conductance, or reach an instrument as a
        // polarity it was not set up for. Refuse both here, before any driver sees them.
        if (readVoltageV <= 0)
        {
            throw new SafetyLimitException(op, "read voltage", readVoltageV, 0, "V", SafetyRule.Above);
        }

        Max(op, "read voltage", readVoltageV, MaxReadVoltageV, "V");
    }

    /// <summary>
    /// Refuses a vector-matrix multiply the chip cannot do (no VMM capability, not one voltage per row) or whose row
    /// voltages exceed the read maximum: every row is driven at once, at read-level bias.
    /// </summary>
    public void CheckMultiply(IChip chip, ReadOnlySpan<double> rowVoltagesV)
    {
        ArgumentNullException.ThrowIfNull(chip);
        if (!chip.Supports(ChipCapabilities.VectorMatrixMultiply))
        {
            throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, chip.Identity.Model);
        }

        if (rowVoltagesV.Length != chip.Geometry.Rows)
        {
            throw new ArgumentException($"{MultiplyOperation} needs {chip.Geometry.Rows} row voltages, got {rowVoltagesV.Length}", nameof(rowVoltagesV));
        }

        for (var i = 0; i < rowVoltagesV.Length; i++)
        {
            RequireFinite(MultiplyOperation, $"row {i} voltage", rowVoltagesV[i]);
            Max(MultiplyOperation, $"|row {i} voltage|", Math.Abs(rowVoltagesV[i]), MaxReadVoltageV, "V");
        }
    }

    private void CheckGate(string op, double? gateVoltageV)
    {
        if (gateVoltageV is { } gate)
        {
            RequireFinite(op, "gate voltage", gate);
            Max(op, "|gate voltage|", Math.Abs(gate), MaxGateVoltageV, "V");
        }
    }

    private void CheckWidth(string op, double widthSeconds)
    {
        RequireFinite(op, "width", widthSeconds);
        Max(op, "width", widthSeconds, MaxPulseWidthSeconds, "s");
        if (widthSeconds < MinPulseWidthSeconds)
        {
            throw new SafetyLimitException(op, "width", widthSeconds, MinPulseWidthSeconds, "s", SafetyRule.Minimum);
        }
    }

    private void CheckCompliance(string op, double complianceA)
    {
        RequireFinite(op, "compliance", complianceA);
        if (complianceA <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(complianceA), $"{op}: compliance {complianceA} A must be positive");
        }

        Max(op, "compliance", complianceA, MaxComplianceA, "A");
    }

    private static void Max(string op, string quantity, double value, double limit, string unit)
    {
        if (value > limit)
        {
            throw new SafetyLimitException(op, quantity, value, limit, unit);
        }
    }

    private static void RequireFinite(string op, string quantity, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(quantity, $"{op}: {quantity} {value} is not a finite number");
        }
    }
}

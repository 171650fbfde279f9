using CimHil.Core.Chip;
using CimHil.Core.Safety;

namespace CimHil.Core.Tests.Safety;

/// <summary>The checks themselves, as drivers call them on their own maxima (no chip wrapped, nothing to send).</summary>
public class SafetyLimitsTests
{
    private static readonly SafetyLimits Limits = SafetyLimits.Default;

    [Fact]
    public void CheckPulse_WithoutCompliance_FillsInTheMaximum_AndKeepsAGivenOne()
    {
        var pulse = new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 2, WidthSeconds = 1e-6 };

        Assert.Equal(Limits.MaxComplianceA, Limits.Check(pulse).ComplianceA);
        Assert.Equal(1e-4, Limits.Check(pulse with { ComplianceA = 1e-4 }).ComplianceA);
    }

    [Fact]
    public void CheckPulse_GateOverTheLimit_NamesTheGate()
    {
        var ex = Assert.Throws<SafetyLimitException>(() => Limits.Check(new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1, WidthSeconds = 1e-6, GateVoltageV = -3.5 }));

        Assert.Equal("SET pulse refused: |gate voltage| 3.5 V exceeds the maximum 3 V; nothing was applied", ex.Message);
    }

    [Fact]
    public void CheckForming_ComplianceOverTheLimit_IsRefused()
    {
        var ex = Assert.Throws<SafetyLimitException>(() => Limits.Check(new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-6, ComplianceA = 1e-3 }));

        Assert.Equal("forming pulse refused: compliance 0.001 A exceeds the maximum 0.0005 A; nothing was applied", ex.Message);
    }

    [Fact]
    public void CheckRead_NamesTheOperationItIsGiven()
    {
        var ex = Assert.Throws<SafetyLimitException>(() => Limits.CheckRead("block read", 0.7));

        Assert.Equal("block read refused: read voltage 0.7 V exceeds the maximum 0.5 V; nothing was applied", ex.Message);
    }

    [Fact]
    public void CheckMultiply_RefusesAMissingCapability_TheWrongRowCount_AndARowOverTheReadMaximum()
    {
        var chip = new RecordingChip();

        Limits.CheckMultiply(chip, [0.1, -0.5, 0, 0.2]);
        var over = Assert.Throws<SafetyLimitException>(() => Limits.CheckMultiply(chip, [0.1, -0.6, 0, 0.2]));
        var rows = Assert.Throws<ArgumentException>(() => Limits.CheckMultiply(chip, [0.1, 0.2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Limits.CheckMultiply(chip, [0.1, double.PositiveInfinity, 0, 0.2]));
        Assert.Throws<CapabilityNotSupportedException>(() => Limits.CheckMultiply(new RecordingChip { Capabilities = ChipCapabilities.None }, [0.1, 0.2, 0, 0.2]));

        Assert.Equal("vector-matrix multiply refused: |row 1 voltage| 0.6 V exceeds the maximum 0.5 V; nothing was applied", over.Message);
        Assert.StartsWith("vector-matrix multiply needs 4 row voltages, got 2", rows.Message, StringComparison.Ordinal);
        Assert.Empty(chip.Operations);
    }
}

using CimHil.Core.Chip;
using CimHil.Core.Safety;

namespace CimHil.Core.Tests.Safety;

public class SafeChipTests
{
    private static readonly ProgramPulse Set = new() { Polarity = PulsePolarity.Set, AmplitudeV = 1.5, WidthSeconds = 100e-9 };

    [Theory]
    [InlineData(PulsePolarity.Set, 3.01, 100e-9, "|amplitude|")]
    [InlineData(PulsePolarity.Reset, 3.6, 100e-9, "|amplitude|")]
    [InlineData(PulsePolarity.Set, 1.0, 2e-3, "width")]
    [InlineData(PulsePolarity.Set, 1.0, 1e-9, "width")]
    public async Task ApplyPulse_OverALimit_IsRefusedAndNothingReachesTheChip(PulsePolarity polarity, double amplitudeV, double widthSeconds, string quantity)
    {
        var inner = new RecordingChip();
        var chip = new SafeChip(inner, SafetyLimits.Default);
        var pulse = new ProgramPulse { Polarity = polarity, AmplitudeV = amplitudeV, WidthSeconds = widthSeconds };

        var ex = await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), pulse, default));

        Assert.Equal(quantity, ex.Quantity);
        Assert.Empty(inner.Operations);
        Assert.Contains("nothing was applied", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3.5, 100e-9, "SET pulse refused: |amplitude| 3.5 V exceeds the maximum 3 V; nothing was applied")]
    [InlineData(1.0, 2e-3, "SET pulse refused: width 0.002 s exceeds the maximum 0.001 s; nothing was applied")]
    [InlineData(1.0, 1e-9, "SET pulse refused: width 1E-09 s is below the minimum 1E-08 s; nothing was applied")]
    public async Task ApplyPulse_OutsideALimit_SaysWhichSideOfTheLimit(double amplitudeV, double widthSeconds, string message)
    {
        var chip = new SafeChip(new RecordingChip(), SafetyLimits.Default);

        var ex = await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), Set with { AmplitudeV = amplitudeV, WidthSeconds = widthSeconds }, default));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData(0.0, "read refused: read voltage 0 V must be above 0 V; nothing was applied")]
    [InlineData(-0.2, "read refused: read voltage -0.2 V must be above 0 V; nothing was applied")]
    [InlineData(0.6, "read refused: read voltage 0.6 V exceeds the maximum 0.5 V; nothing was applied")]
    public async Task Read_ZeroNegativeOrOverTheLimit_IsASafetyRefusal(double readVoltageV, string message)
    {
        var inner = new RecordingChip();
        var chip = new SafeChip(inner, SafetyLimits.Default);

        var ex = await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ReadCellAsync(new CellAddress(0, 0), readVoltageV, default));
        var block = await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ReadBlockAsync(new CellBlock(0, 0, 2, 2), readVoltageV, default));

        Assert.Equal(message, ex.Message);
        Assert.Equal("read voltage", block.Quantity);
        Assert.Equal(readVoltageV, block.Value);
        Assert.Empty(inner.Operations);
    }

    [Fact]
    public async Task ApplyPulse_ComplianceOrGateOverLimit_IsRefused()
    {
        var inner = new RecordingChip();
        var chip = new SafeChip(inner, SafetyLimits.Default);
        await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), Set with { ComplianceA = 1e-3 }, default));
        await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), Set with { GateVoltageV = 3.5 }, default));
        await Assert.ThrowsAsync<SafetyLimitException>(() => chip.FormAsync(new CellAddress(0, 0), new FormingPulse { AmplitudeV = 5.5, WidthSeconds = 1e-6, ComplianceA = 1e-4 }, default));
        await Assert.ThrowsAsync<SafetyLimitException>(() => chip.ReadCellAsync(new CellAddress(0, 0), 0.6, default));
        await Assert.ThrowsAsync<SafetyLimitException>(() => chip.MultiplyAsync(new double[] { 0.1, 0.7, 0, 0 }, default));
        Assert.Empty(inner.Operations);
    }

    [Fact]
    public async Task ApplyPulse_WithoutCompliance_GetsTheConfiguredMaximum()
    {
        var inner = new RecordingChip();
        var chip = new SafeChip(inner, SafetyLimits.Default);

        var result = await chip.ApplyPulseAsync(new CellAddress(1, 2), Set, default);

        Assert.Equal(SafetyLimits.Default.MaxComplianceA, result.Pulse.ComplianceA);
        Assert.Single(inner.Operations);
    }

    [Fact]
    public async Task Operations_OutsideTheArray_AreRefused()
    {
        var inner = new RecordingChip();
        var chip = new SafeChip(inner, SafetyLimits.Default);
        await Assert.ThrowsAsync<CellOutOfRangeException>(() => chip.ApplyPulseAsync(new CellAddress(4, 0), Set, default));
        await Assert.ThrowsAsync<CellOutOfRangeException>(() => chip.ReadBlockAsync(new CellBlock(2, 2, 3, 1), 0.2, default));
        Assert.Empty(inner.Operations);
    }

    [Fact]
    public async Task ApplyPulse_WhenTheChipFails_BringsItToTheSafeStateAndRethrows()
    {
        var inner = new RecordingChip { FailNextPulse = true };
        var chip = new SafeChip(inner, SafetyLimits.Default);

        await Assert.ThrowsAsync<IOException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), Set, default));

        Assert.Equal(1, inner.SafeStateCalls);
    }

    [Fact]
    public async Task ApplyPulse_WhenTheChipAndTheSafeStateFail_RaisesBoth()
    {
        var inner = new RecordingChip { FailNextPulse = true, SafeStateFails = true };
        var chip = new SafeChip(inner, SafetyLimits.Default);

        var ex = await Assert.ThrowsAsync<AggregateException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), Set, default));

        Assert.Equal(["link dropped", "safe state: link still down"], ex.InnerExceptions.Select(e => e.Message));
    }

    [Fact]
    public async Task ApplyPulse_Uncertain_WhenTheSafeStateFailsToo_StaysTheUncertainPulse()
    {
        // The caller records an uncertain pulse by its type; a failed safe state (same outage) must not hide it.
        var uncertain = new UncertainPulseException(new CellAddress(1, 2), "CELL:PROG 1,2,SET,1.5,1E-07,DEF,DEF", null, VirtualClock.DefaultEpoch, new IOException("link dropped"));
        var inner = new RecordingChip { NextPulseFailure = uncertain, SafeStateFails = true };
        var chip = new SafeChip(inner, SafetyLimits.Default);

        var ex = await Assert.ThrowsAsync<UncertainPulseException>(() => chip.ApplyPulseAsync(new CellAddress(1, 2), Set, default));

        Assert.Same(uncertain, ex);
        Assert.Null(ex.Applied);
        Assert.Equal(1, inner.SafeStateCalls);
    }

    [Fact]
    public async Task ApplyPulse_CancelledMidOperation_BringsTheChipToTheSafeStateOnce_AndStaysACancellation()
    {
        // A driver stopped half-way may have left a source on; SafeChip, the one owner of the safe state, covers it even
        // when the safe state fails too (the caller asked to stop; that is what it must see).
        var inner = new RecordingChip { NextPulseFailure = new OperationCanceledException(), SafeStateFails = true };
        var chip = new SafeChip(inner, SafetyLimits.Default);

        await Assert.ThrowsAsync<OperationCanceledException>(() => chip.ApplyPulseAsync(new CellAddress(0, 0), Set, default));

        Assert.Equal(1, inner.SafeStateCalls);
    }

    [Fact]
    public async Task Multiply_OverTheReadLimit_IsRefusedByTheLimits_AndNothingReachesTheChip()
    {
        var inner = new RecordingChip();
        var chip = new SafeChip(inner, SafetyLimits.Default);

        var ex = await Assert.ThrowsAsync<SafetyLimitException>(() => chip.MultiplyAsync(new double[] { 0.1, 0, -0.7, 0 }, default));

        Assert.Equal("vector-matrix multiply refused: |row 2 voltage| 0.7 V exceeds the maximum 0.5 V; nothing was applied", ex.Message);
        Assert.Empty(inner.Operations);
        Assert.Equal(0, inner.SafeStateCalls);
    }

    [Fact]
    public async Task Dispose_LeavesTheChipInTheSafeState()
    {
        var inner = new RecordingChip();
        await using (new SafeChip(inner, SafetyLimits.Default))
        {
        }

        Assert.Equal(1, inner.SafeStateCalls);
    }
}

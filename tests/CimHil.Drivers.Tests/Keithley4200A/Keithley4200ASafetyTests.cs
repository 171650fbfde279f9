using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments.Scpi;

namespace CimHil.Drivers.Tests.Keithley4200A;

/// <summary>The 4200A bench's safe state (PMU output off, SMU off at 0 V, matrix open) after failures and refusals, behind SafeChip.</summary>
public sealed class Keithley4200ASafetyTests
{
    [Fact]
    public async Task MatrixErrorBeforeThePulse_LeavesTheOutputsOffAndTheMatrixOpen_AndNoPulse()
    {
        // Word lines cabled to slot 3, where the emulated 707B has no card: routing fails, so nothing is executed.
        await using var rig = await Benches.Keithley4200AAsync(", \"pmuChannel\": 1, \"wordLineSlot\": 3");
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.5, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(-222, error.Code);
        Assert.DoesNotContain(":PMU:EXECUTE", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
        Assert.Contains(":PMU:OUTPUT:STATE 1, 0\0DV1\0", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
        Assert.True(rig.K4200A!.IsSafe);
        Assert.Equal(0, rig.Backing.TotalPulses);
    }

    [Fact]
    public async Task CommandTheAnalyzerRefuses_IsItsLastError_NamingTheCommand_AndTheMatrixOpens()
    {
        // SMU5 is not installed in the emulated 4200A (SMU1–SMU4): DV5 answers ERROR and :ERROR:LAST:GET says why.
        await using var rig = await Benches.Keithley4200AAsync(", \"pmuChannel\": 1, \"smuChannel\": 5");
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        rig.Wire.Clear();

        // The safe state's DV5 is refused too, so SafeChip reports both: the read's error and the unconfirmed safe state.
        var both = await Assert.ThrowsAsync<AggregateException>(() => chip.ReadCellAsync(new CellAddress(0, 0), 0.2, CancellationToken.None));
        var error = Assert.IsType<ScpiErrorException>(both.InnerExceptions[0]);

        Assert.Equal("DV5, 0, 0.2, 0.0005", error.Command);
        Assert.Equal(-100, error.Code);
        Assert.Contains("SMU5 is not installed", error.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("DV5, 0, 0.2, 0.0005\0:ERROR:LAST:GET\0:ERROR:LAST:CLEAR\0", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
        Assert.Empty(rig.K4200A!.Matrix.ClosedChannels);
        Assert.True(rig.K4200A.Analyzer.PmuOutputsOff);
    }

    [Fact]
    public async Task WithoutAPmu_SetResetPulsesAreRefused_BeforeAnyCellIsRouted_ButReadsWork()
    {
        await using var rig = await Benches.Keithley4200AAsync(extraSettings: "");
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<UnsupportedOperationException>(() => chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.5, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Contains("pmuChannel", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("exclusiveclose", rig.Wire.Sent(rig.Resources[1]), StringComparison.Ordinal);
        Assert.DoesNotContain(":PMU:", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
        var read = await chip.ReadCellAsync(new CellAddress(1, 1), 0.2, CancellationToken.None);
        Assert.True(double.IsFinite(read.CurrentA));
        Assert.EndsWith("DV1, 0, 0.2, 0.0005\0TI1\0DV1\0", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void PulseBeyondThePmuRange_IsRefusedBeforeAnythingIsSent()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CimHil.Instruments.Analyzer.Keithley4200A.PulseSetup(1, 12, 1e-4, 1e-3));

        Assert.Contains("PMU pulse level: 12 V", ex.Message, StringComparison.Ordinal);
    }
}

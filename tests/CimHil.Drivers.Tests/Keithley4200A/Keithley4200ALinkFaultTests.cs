using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments;

namespace CimHil.Drivers.Tests.Keithley4200A;

/// <summary>
/// A link that fails as <c>:PMU:EXECUTE</c> goes out, or while the test's status is polled: whether the pulse ran is unknown
/// (<see cref="UncertainPulseException"/>); nothing is executed twice, and SafeChip brings the bench to its safe state.
/// </summary>
public sealed class Keithley4200ALinkFaultTests
{
    private static readonly ProgramPulse Set = new() { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 };

    private static void DropTheLinkOnce(Rig rig, string startsWith)
    {
        var armed = true;
        rig.Wire.BeforeWrite = text =>
        {
            if (armed && text.StartsWith(startsWith, StringComparison.Ordinal))
            {
                armed = false;
                throw new InstrumentIOException(rig.Resources[0], $"{rig.Resources[0]}: link dropped (test)");
            }
        };
    }

    [Fact]
    public async Task LinkFailsAsTheExecuteGoesOut_IsAnUncertainPulse_NothingIsResent_AndTheBenchIsSafe()
    {
        await using var rig = await Benches.Keithley4200AAsync();
        DropTheLinkOnce(rig, ":PMU:EXECUTE");
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<UncertainPulseException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(new CellAddress(1, 2), Set, CancellationToken.None));

        Assert.Equal(new CellAddress(1, 2), error.Cell);
        Assert.Null(error.Applied);
        Assert.Equal(":PMU:PULSE:TRAIN 1, 0, 1.2", error.Operation);
        Assert.Equal(0, rig.K4200A!.PulsesApplied);
        Assert.DoesNotContain(":PMU:EXECUTE", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
        Assert.True(rig.K4200A.IsSafe);
    }

    [Fact]
    public async Task LinkFailsWhileTheStatusIsPolled_IsAnUncertainPulse_AndThePulseIsNotRepeated()
    {
        await using var rig = await Benches.Keithley4200AAsync();
        DropTheLinkOnce(rig, ":PMU:TEST:STATUS?");
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<UncertainPulseException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(new CellAddress(1, 2), Set, CancellationToken.None));

        Assert.Null(error.Applied);
        Assert.Equal(1, rig.K4200A!.PulsesApplied);
        Assert.Single(rig.Wire.Sent(rig.Resources[0]).Split('\0'), m => m == ":PMU:EXECUTE");
        Assert.True(rig.K4200A.IsSafe);
    }

    [Fact]
    public async Task LinkFailsOnceAsTheOutputIsSwitchedOffAfterThePulse_TheOffIsRetried_ThePulseIsNot()
    {
        // Output off is idempotent (retried after a reconnect); :PMU:EXECUTE is not, and goes out once.
        await using var rig = await Benches.Keithley4200AAsync();
        var executed = false;
        var armed = true;
        rig.Wire.BeforeWrite = text =>
        {
            executed |= text.StartsWith(":PMU:EXECUTE", StringComparison.Ordinal);
            if (armed && executed && text.StartsWith(":PMU:OUTPUT:STATE 1, 0", StringComparison.Ordinal))
            {
                armed = false;
                throw new InstrumentIOException(rig.Resources[0], $"{rig.Resources[0]}: link dropped (test)");
            }
        };
        rig.Wire.Clear();

        await new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(new CellAddress(1, 2), Set, CancellationToken.None);

        Assert.False(armed);
        Assert.Equal(1, rig.K4200A!.PulsesApplied);
        Assert.Single(rig.Wire.Sent(rig.Resources[0]).Split('\0'), m => m == ":PMU:EXECUTE");
        Assert.True(rig.K4200A.Analyzer.PmuOutputsOff);
    }
}

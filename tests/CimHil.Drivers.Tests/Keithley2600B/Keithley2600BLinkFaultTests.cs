using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments;

namespace CimHil.Drivers.Tests.Keithley2600B;

/// <summary>
/// A link that fails while the pulse call goes out, or before its error count comes back: whether the pulse ran is unknown,
/// which the driver reports as <see cref="UncertainPulseException"/>; nothing is sent twice, and <see cref="SafeChip"/>
/// brings the bench to its safe state over a fresh link.
/// </summary>
public sealed class Keithley2600BLinkFaultTests
{
    private const string Call = "cimhil_pulse(smua, 1.2, 0.0001, 0.001)";

    /// <summary>Drops the link once, on the first write that <paramref name="drop"/> picks (given the text and the previous write).</summary>
    private static void DropTheLinkOn(Rig rig, Func<string, string?, bool> drop)
    {
        var armed = true;
        string? previous = null;
        rig.Wire.BeforeWrite = text =>
        {
            var hit = armed && drop(text, previous);
            previous = text;
            if (hit)
            {
                armed = false;
                throw new InstrumentIOException(rig.Resources[0], $"{rig.Resources[0]}: link dropped (test)");
            }
        };
    }

    [Fact]
    public async Task LinkFailsWhileThePulseCallGoesOut_IsAnUncertainPulse_NothingIsResent_AndTheBenchIsSafe()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        DropTheLinkOn(rig, (text, _) => text.StartsWith("cimhil_pulse", StringComparison.Ordinal));
        var cell = new CellAddress(1, 2);
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<UncertainPulseException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(cell, error.Cell);
        Assert.Null(error.Applied);
        Assert.Equal(Call, error.Operation);
        Assert.Equal(Call, Assert.IsType<UncertainOutcomeException>(error.InnerException).Command);
        Assert.Equal(0, rig.K2600B!.PulsesApplied);
        Assert.True(rig.K2600B.IsSafe);
        Assert.DoesNotContain("cimhil_pulse", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkFailsBeforeTheErrorCountAfterThePulse_IsAnUncertainPulse_AndThePulseIsNotRepeated()
    {
        await using var rig = await Benches.Keithley2600BAsync();
        DropTheLinkOn(rig, (text, previous) => text.StartsWith("print(errorqueue.count)", StringComparison.Ordinal) && previous?.StartsWith("cimhil_pulse", StringComparison.Ordinal) == true);
        rig.Wire.Clear();

        var error = await Assert.ThrowsAsync<UncertainPulseException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Null(error.Applied);
        Assert.Equal(1, rig.K2600B!.PulsesApplied);
        Assert.Single(rig.Wire.Sent(rig.Resources[0]).Split('\n'), line => line.StartsWith("cimhil_pulse", StringComparison.Ordinal));
        Assert.True(rig.K2600B.IsSafe);
    }
}

using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments;
using CimHil.Instruments.Smu;

namespace CimHil.Drivers.Tests.SmuMatrix;

/// <summary>
/// A link that fails while the SMU's firing message goes out: the pulse may or may not have been applied, which the
/// driver reports as the Core-level <see cref="UncertainPulseException"/> (the characterisation reads the cell back);
/// <see cref="SafeChip"/>, as ChipConnector builds it, then brings the probe station to its safe state over a fresh link.
/// </summary>
public sealed class SmuMatrixLinkFaultTests
{
    private const string Setup = ":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM 0.0001;:SOUR:VOLT:LEV 1.2;:TRIG:LOAD \"SimpleLoop\", 1, 0.001";

    private static void DropTheLinkOnFiring(Rig rig)
    {
        var armed = true;
        rig.Wire.BeforeWrite = text =>
        {
            if (armed && text.StartsWith(Keithley2450.FireCommand, StringComparison.Ordinal))
            {
                armed = false;
                throw new InstrumentIOException(rig.Resources[0], $"{rig.Resources[0]}: link dropped (test)");
            }
        };
    }

    [Fact]
    public async Task Program_LinkFailsWhileFiring_IsAnUncertainPulse_AndTheBenchIsSafe()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        DropTheLinkOnFiring(rig);
        var cell = new CellAddress(1, 2);

        var error = await Assert.ThrowsAsync<UncertainPulseException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(cell, error.Cell);
        Assert.Null(error.Applied);
        Assert.Equal($"{Setup} then {Keithley2450.FireCommand}", error.Operation);
        Assert.Equal(":OUTP ON;:INIT;*WAI;:OUTP OFF;:SOUR:VOLT:LEV 0", Assert.IsType<UncertainOutcomeException>(error.InnerException).Command);
        Assert.True(rig.Bench!.IsSafe);
        Assert.Equal(0, rig.Bench.PulsesApplied);
    }

    [Fact]
    public async Task Form_LinkFailsWhileFiring_IsAnUncertainPulse()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        DropTheLinkOnFiring(rig);

        var error = await Assert.ThrowsAsync<UncertainPulseException>(() => new SafeChip(rig.Chip, Benches.Limits).FormAsync(new CellAddress(0, 0), new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Null(error.Applied);
        Assert.EndsWith(";:FETC?", error.Operation, StringComparison.Ordinal);
        Assert.True(rig.Bench!.IsSafe);
    }
}

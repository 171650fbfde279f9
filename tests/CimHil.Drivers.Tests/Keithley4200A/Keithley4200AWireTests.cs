using CimHil.Core.Chip;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Keithley4200A;

/// <summary>The exact KXCI text (NUL-terminated) the keithley-4200a driver sends to the 4200A-SCS, against the emulated one.</summary>
public sealed class Keithley4200AWireTests
{
    [Fact]
    public async Task Connect_Identifies_Resets_EntersUserMode_AndInitialisesThePmuWithItsOutputOff()
    {
        await using var rig = await Benches.Keithley4200AAsync();

        Assert.Equal(Benches.Kxci("*IDN?", "*RST", ":ERROR:LAST:CLEAR", "US", ":PMU:INIT 0", ":PMU:OUTPUT:STATE 1, 0"), rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal("*IDN?\nerrorqueue.clear()\nprint(errorqueue.count)\nchannel.open(\"allslots\")\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[1]));
    }

    [Fact]
    public async Task SetPulse_SwitchesTheRpmToThePmu_SetsUpOnePulse_ExecutesOnce_AndReadsTheLastError()
    {
        await using var rig = await Benches.Keithley4200AAsync();
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal(
            Benches.Kxci(
                ":PMU:RPM:CONFIGURE PMU1-1, 0",
                ":PMU:PULSE:TIMES 1, 0.0020004, 0.001, 1E-07, 1E-07, 0",
                ":PMU:PULSE:LIMITS 1, 10, 0.0001, 0.001",
                ":PMU:PULSE:TRAIN 1, 0, 1.2",
                ":PMU:OUTPUT:STATE 1, 1",
                ":PMU:EXECUTE",
                ":PMU:TEST:STATUS?",
                ":PMU:OUTPUT:STATE 1, 0",
                ":ERROR:LAST:GET"),
            rig.Wire.Sent(rig.Resources[0]));
        var bench = rig.K4200A!;
        Assert.Equal(1, bench.PulsesApplied);
        Assert.Equal(1.2, bench.Analyzer.MaxAbsVoltageV);
        Assert.True(bench.Analyzer.PmuOutputsOff);
    }

    [Fact]
    public async Task ResetPulse_IsANegativeTrain()
    {
        await using var rig = await Benches.Keithley4200AAsync();
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(new CellAddress(0, 0), new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.5, WidthSeconds = 2e-3, ComplianceA = 5e-4 }, CancellationToken.None);

        Assert.Contains(Benches.Kxci(":PMU:PULSE:TRAIN 1, 0, -1.5"), rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_SwitchesTheRpmToTheSmu_ForcesMeasuresAndSwitchesOff()
    {
        await using var rig = await Benches.Keithley4200AAsync();
        rig.Wire.Clear();

        var read = await rig.Chip.ReadCellAsync(new CellAddress(1, 2), 0.2, CancellationToken.None);

        Assert.Equal(Benches.Kxci(":PMU:RPM:CONFIGURE PMU1-1, 2", "DV1, 0, 0.2, 0.0005", "TI1", "DV1"), rig.Wire.Sent(rig.Resources[0]));
        var expectedA = rig.Backing.TrueConductanceS(new CellAddress(1, 2)) * 0.2;
        Assert.InRange(read.CurrentA, 0.95 * expectedA, 1.05 * expectedA);
        Assert.True(rig.K4200A!.Analyzer.IsSmuOff(1));
    }

    [Fact]
    public async Task Form_HoldsTheSmuAtTheFormingLevel_ReadsTheCurrent_ThenSwitchesOff()
    {
        await using var rig = await Benches.Keithley4200AAsync();
        rig.Wire.Clear();

        var result = await rig.Chip.FormAsync(new CellAddress(2, 1), new FormingPulse { AmplitudeV = 3.5, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal(Benches.Kxci(":PMU:RPM:CONFIGURE PMU1-1, 2", "DV1, 0, 3.5, 0.0001", "TI1", "DV1"), rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(3.5, rig.K4200A!.Analyzer.MaxAbsVoltageV);
        Assert.True(Math.Abs(result.CurrentA) <= 1e-4);
    }

    [Fact]
    public void ParseReading_ReadsStatusChannelQuantityAndValue()
    {
        var reading = CimHil.Instruments.Analyzer.Keithley4200A.ParseReading("CAI-1.000000E-04");

        Assert.Equal(('C', 'A', 'I', -1e-4), (reading.Status, reading.Channel, reading.Quantity, reading.Value));
        Assert.True(reading.InCompliance);
        Assert.Throws<FormatException>(() => CimHil.Instruments.Analyzer.Keithley4200A.ParseReading("ERROR"));
    }
}

using CimHil.Core.Chip;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.SmuMatrix;

/// <summary>The exact bytes the smu-matrix driver sends to the 2450 (SCPI) and the 707B (TSP), against the emulated instruments.</summary>
public sealed class SmuMatrixWireTests
{
    private const string RouteCell12 = "channel.exclusiveclose(\"1A02,2B03,1C01,1C03,1C04,2C01,2C02,2C04\")\nprint(errorqueue.count)\n";

    [Fact]
    public async Task Connect_IdentifiesResetsAndOpensTheMatrix()
    {
        await using var rig = await Benches.SmuMatrixAsync();

        Assert.Equal("*IDN?\n*RST\n*OPC?\nSYST:ERR?\n", rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal("*IDN?\nerrorqueue.clear()\nprint(errorqueue.count)\nchannel.open(\"allslots\")\nprint(errorqueue.count)\n", rig.Wire.Sent(rig.Resources[1]));
    }

    [Fact]
    public async Task Program_SetsUpTheSmu_RoutesTheCell_ThenFiresOnce()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal(
            ":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM 0.0001;:SOUR:VOLT:LEV 1.2;:TRIG:LOAD \"SimpleLoop\", 1, 0.001\n*OPC?\nSYST:ERR?\n"
            + ":OUTP ON;:INIT;*WAI;:OUTP OFF;:SOUR:VOLT:LEV 0\n*OPC?\nSYST:ERR?\n",
            rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(RouteCell12, rig.Wire.Sent(rig.Resources[1]));
        Assert.Equal(1, rig.Bench!.PulsesApplied);
        Assert.False(rig.Bench.Smu.OutputOn);
        Assert.Equal(0, rig.Bench.Smu.SourceLevelV);
    }

    [Fact]
    public async Task ResetPulse_DrivesTheWordLineNegative()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        rig.Wire.Clear();

        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 2), new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.5, WidthSeconds = 2e-3, ComplianceA = 5e-4 }, CancellationToken.None);

        Assert.StartsWith(":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM 0.0005;:SOUR:VOLT:LEV -1.5;:TRIG:LOAD \"SimpleLoop\", 1, 0.002\n", rig.Wire.Sent(rig.Resources[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_SetsUpTheSmu_RoutesOnce_AndMeasuresInOneMessage()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        rig.Wire.Clear();

        await rig.Chip.ReadCellAsync(new CellAddress(1, 2), 0.2, CancellationToken.None);
        Assert.Equal(
            ":SOUR:FUNC VOLT;:SENS:FUNC \"CURR\";:SOUR:VOLT:ILIM 0.0005\n*OPC?\nSYST:ERR?\n"
            + ":SOUR:VOLT:LEV 0.2;:OUTP ON;:READ?;:OUTP OFF;:SOUR:VOLT:LEV 0\n",
            rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(RouteCell12, rig.Wire.Sent(rig.Resources[1]));

        // The same cell again: the matrix already routes it, so no relay moves.
        rig.Wire.Clear();
        await rig.Chip.ReadCellAsync(new CellAddress(1, 2), 0.2, CancellationToken.None);
        Assert.Equal(string.Empty, rig.Wire.Sent(rig.Resources[1]));
    }

    [Fact]
    public async Task Form_FiresThenFetchesTheCurrentAtTheEndOfThePulse()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        rig.Wire.Clear();

        var result = await rig.Chip.FormAsync(new CellAddress(0, 0), new FormingPulse { AmplitudeV = 4, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);

        Assert.Equal(
            ":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM 0.0001;:SOUR:VOLT:LEV 4;:TRIG:LOAD \"SimpleLoop\", 1, 0.001\n*OPC?\nSYST:ERR?\n"
            + ":OUTP ON;:INIT;*WAI;:OUTP OFF;:SOUR:VOLT:LEV 0;:FETC?\nSYST:ERR?\n",
            rig.Wire.Sent(rig.Resources[0]));
        Assert.True(result.Formed);
        Assert.Equal(1e-4, result.CurrentA);
        Assert.True(rig.Backing.IsFormed(new CellAddress(0, 0)));
    }
}

using CimHil.Core.Chip;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Serial;

/// <summary>
/// The real drivers over a serial line (System.IO.Ports on a pseudo-terminal served by the emulator) with hil-config.json
/// <c>transport.serial</c>: the termination each instrument family needs, or the configured one, on the bytes on the wire.
/// </summary>
public sealed class DriversOverSerialTests
{
    private const string SerialCr = """{ "timeoutSeconds": 2, "connectTimeoutSeconds": 2, "retries": 2, "retryBaseDelaySeconds": 0.005, "retryMaxDelaySeconds": 0.02, "serial": { "baudRate": 115200, "termination": "\r" } }""";

    [Fact]
    public async Task SmuMatrix_TheSmuOnACrLine_EveryMessageEndsWithCr_AndTheReadIsTheArrays()
    {
        await using var rig = await Benches.SmuMatrixAsync(transportJson: SerialCr, smuSerialTerminator: (byte)'\r');
        rig.Wire.Clear();

        var read = await rig.Chip.ReadCellAsync(new CellAddress(1, 2), 0.2, CancellationToken.None);

        var sent = rig.Wire.Sent(rig.Resources[0]);
        Assert.StartsWith("ASRL/dev/pts/", rig.Resources[0], StringComparison.Ordinal);
        Assert.EndsWith("\r", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", sent, StringComparison.Ordinal);
        var expectedA = rig.Backing.TrueConductanceS(new CellAddress(1, 2)) * 0.2;
        Assert.InRange(read.CurrentA, 0.95 * expectedA, 1.05 * expectedA);
    }

    [Fact]
    public async Task Keithley2600B_OnASerialLine_WithNoTerminationConfigured_UsesTheFamilysLf()
    {
        await using var rig = await Benches.Keithley2600BAsync(smuOverPty: true, transportJson: """{ "timeoutSeconds": 2, "connectTimeoutSeconds": 2, "serial": { "baudRate": 115200 } }""");
        rig.Wire.Clear();

        var read = await rig.Chip.ReadCellAsync(new CellAddress(2, 1), 0.2, CancellationToken.None);

        var sent = rig.Wire.Sent(rig.Resources[0]);
        Assert.EndsWith("\n", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", sent, StringComparison.Ordinal);
        Assert.True(read.CurrentA > 0);
    }

    [Fact]
    public async Task Board_OverAPty_WithTransportSerial_KeepsItsLfProtocol_EvenWhenCrIsConfigured()
    {
        await using var rig = await Benches.BoardAsync(overPty: true, transportJson: SerialCr);
        rig.Wire.Clear();

        var read = await rig.Chip.ReadCellAsync(new CellAddress(0, 1), 0.2, CancellationToken.None);

        var sent = rig.Wire.Sent(rig.Resources[0]);
        Assert.EndsWith("\n", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", sent, StringComparison.Ordinal);
        Assert.True(double.IsFinite(read.CurrentA));
        Assert.Equal(115200, rig.Wire.OptionsByResource[rig.Resources[0]].Serial.BaudRate);
    }
}

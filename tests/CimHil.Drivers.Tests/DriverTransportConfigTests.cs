using CimHil.Drivers.Keithley4200A;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments;
using CimHil.Instruments.Transports.Serial;

namespace CimHil.Drivers.Tests;

/// <summary>
/// hil-config.json's <c>transport</c> section reaches every instrument a driver opens: the serial line
/// (<c>transport.serial</c>, for ASRL resources) and the VXI-11 portmapper port, not only the timeouts.
/// </summary>
public sealed class DriverTransportConfigTests
{
    private const string Transport = """
        { "timeoutSeconds": 2, "connectTimeoutSeconds": 2, "retries": 2, "retryBaseDelaySeconds": 0.005, "retryMaxDelaySeconds": 0.02,
          "serial": { "baudRate": 19200, "stopBits": 2, "flowControl": "rtscts" }, "vxi11PortmapperPort": 5111 }
        """;

    [Fact]
    public async Task Keithley2600B_TransportSection_ReachesTheSmuAndTheMatrix()
    {
        await using var rig = await Benches.Keithley2600BAsync(transportJson: Transport);
        AssertEveryInstrumentGotTheTransportSection(rig);
    }

    [Fact]
    public async Task Keithley4200A_TransportSection_ReachesTheAnalyzerAndTheMatrix()
    {
        await using var rig = await Benches.Keithley4200AAsync(transportJson: Transport);
        AssertEveryInstrumentGotTheTransportSection(rig);
    }

    [Fact]
    public async Task Keithley4200A_OverGpibWithoutVendorVisa_NamesWhatToInstall()
    {
        // GPIB is reached only through a vendor VISA; "never" stands for a PC without one, whatever this machine has.
        var config = Benches.Config(
            "keithley-4200a",
            """{ "analyzer": "GPIB0::17::INSTR", "matrix": "TCPIP::127.0.0.1::1::SOCKET", "rows": 2, "columns": 2, "technology": "rram", "pmuChannel": 1 }""",
            """{ "visa": "never" }""");
        var driver = new Keithley4200ADriver();
        var ex = await Assert.ThrowsAsync<TransportUnavailableException>(
            () => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Benches.Context(config), CancellationToken.None));
        Assert.StartsWith("GPIB0::17::INSTR: no transport can reach a GPIB resource: built-in transports tried:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("install a vendor VISA with a GPIB driver (NI-VISA with NI-488.2, Keysight IO Libraries Suite)", ex.Message, StringComparison.Ordinal);
    }

    private static void AssertEveryInstrumentGotTheTransportSection(Rig rig)
    {
        Assert.Equal(2, rig.Resources.Length);
        foreach (var resource in rig.Resources)
        {
            var options = rig.Wire.OptionsByResource[resource];
            Assert.Equal(19200, options.Serial.BaudRate);
            Assert.Equal(SerialStopBits.Two, options.Serial.StopBits);
            Assert.Equal(SerialFlowControl.RtsCts, options.Serial.FlowControl);
            Assert.Equal(5111, options.Vxi11PortmapperPort);
            Assert.Equal(2.0, options.Config.TimeoutSeconds);
        }
    }
}

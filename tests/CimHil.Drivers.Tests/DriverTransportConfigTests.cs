using CimHil.Drivers.Tests.Support;
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

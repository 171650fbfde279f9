using System.Diagnostics;
using CimHil.Core.Config;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Serial;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>Serial line settings from hil-config.json <c>transport.serial</c>, and that System.IO.Ports puts them on the line.</summary>
public sealed class SerialLineSettingsTests
{
    [Fact]
    public void FromConfig_AllKeys_AreRead()
    {
        var settings = SerialSettings.FromConfig(Serial("""{"baudRate": 19200, "dataBits": 7, "parity": "even", "stopBits": 2, "flowControl": "rts-cts", "termination": "\r"}"""));
        Assert.Equal(new SerialSettings { BaudRate = 19200, DataBits = 7, Parity = SerialParity.Even, StopBits = SerialStopBits.Two, FlowControl = SerialFlowControl.RtsCts, Termination = (byte)'\r' }, settings);
        Assert.Equal(SerialStopBits.OnePointFive, SerialSettings.FromConfig(Serial("""{"stopBits": 1.5}""")).StopBits);
        Assert.Equal((byte)'\r', SerialSettings.FromConfig(Serial("""{"termination": "CR"}""")).Termination);
    }

    [Theory]
    [InlineData("""{"parity": "sometimes"}""", "transport.serial.parity", "'sometimes' is not one of: none, odd, even, mark, space")]
    [InlineData("""{"stopBits": 3}""", "transport.serial.stopBits", "3 is not 1, 1.5 or 2")]
    [InlineData("""{"dataBits": 9}""", "transport.serial.dataBits", "9")]
    [InlineData("""{"baudRate": 0}""", "transport.serial.baudRate", "0")]
    [InlineData("""{"termination": "\r\n"}""", "transport.serial.termination", @"'\r\n' is not one termination character")]
    [InlineData("""{"flowControl": "dtr"}""", "transport.serial.flowControl", "'dtr' is not one of: none, xonxoff, rtscts")]
    [InlineData("""{"baud": 9600}""", "transport.serial", "baud")]
    public void FromConfig_BadValue_NamesThePathAndTheValue(string json, string path, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => SerialSettings.FromConfig(Serial(json)));
        Assert.StartsWith(path, ex.JsonPath, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HilConfig_TransportVisaAndSerial_ReachTheOptions()
    {
        var config = HilConfigFile.LoadWithTransport("""{"visa": "never", "serial": {"baudRate": 57600, "termination": "\r"}}""");

        var serialOptions = TransportOptions.FromConfig(config.Transport, VisaResource.Parse("ASRL/dev/ttyUSB0::INSTR"));
        Assert.Equal(VisaPreference.Never, serialOptions.EffectiveVisa);
        Assert.Equal(57600, serialOptions.Serial.BaudRate);
        Assert.Equal((byte)'\r', serialOptions.Terminator);
        Assert.Equal((byte)'\n', TransportOptions.FromConfig(config.Transport, VisaResource.Parse("TCPIP::h::5025::SOCKET")).Terminator);
        Assert.Equal(VisaPreference.Always, (serialOptions with { Visa = VisaPreference.Always }).EffectiveVisa);
    }

    [Fact]
    public async Task Open_19200TwoStopBitsRtsCts_IsWhatTheTerminalDriverHolds()
    {
        Assert.True(Socat.Available, "socat is required at /usr/bin/socat");
        var dir = Directory.CreateTempSubdirectory("cimhil-pty-");
        var a = Path.Combine(dir.FullName, "a");
        await using var socat = Socat.Start($"pty,raw,echo=0,link={a}", "stdio");
        for (var i = 0; i < 100 && !File.Exists(a); i++)
        {
            await Task.Delay(20);
        }

        var settings = new SerialSettings { BaudRate = 19200, DataBits = 7, Parity = SerialParity.Even, StopBits = SerialStopBits.Two, FlowControl = SerialFlowControl.RtsCts };
        await using var port = new SerialTransport($"ASRL{a}::INSTR", a, settings, TimeSpan.FromSeconds(1));
        await port.OpenAsync(CancellationToken.None);

        // stty(1) reads the termios the kernel holds for the line: the independent witness of what was configured.
        var stty = Process.Start(new ProcessStartInfo("stty", ["-F", a, "-a"]) { RedirectStandardOutput = true })!;
        var text = await stty.StandardOutput.ReadToEndAsync();
        await stty.WaitForExitAsync();
        var flags = text.Split([' ', ';', '\n'], StringSplitOptions.RemoveEmptyEntries);
        // A pseudo-terminal forces CS8 and no parity whatever is asked (drivers/tty/pty.c, pty_set_termios), so data
        // bits and parity cannot be witnessed here; speed, stop bits, flow control and raw mode can.
        Assert.Contains("19200", flags);
        Assert.Contains("cstopb", flags);
        Assert.Contains("crtscts", flags);
        Assert.Contains("-icanon", flags);
        Assert.Contains("-echo", flags);
        dir.Delete(recursive: true);
    }

    [Fact]
    public void Factory_SerialOnEveryPlatform_IsTheSystemIoPortsTransport()
    {
        var transport = TransportFactory.Create(VisaResource.Parse("ASRL/dev/ttyUSB0::INSTR"), new TransportOptions { Visa = VisaPreference.Never });
        Assert.Equal("/dev/ttyUSB0", Assert.IsType<SerialTransport>(transport).DevicePath);
        Assert.Equal("/dev/ttyS2", SerialPortNames.For((SerialResource)VisaResource.Parse("ASRL3::INSTR")));
    }

    private static JsonSection Serial(string json) =>
        JsonSection.Parse("{\"transport\": {\"serial\": " + json + "}}", "hil-config.json").Section("transport").Section("serial");
}

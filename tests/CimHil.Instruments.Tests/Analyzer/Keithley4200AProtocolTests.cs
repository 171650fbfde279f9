using System.Net;
using System.Net.Sockets;
using System.Text;
using CimHil.Core.Config;
using CimHil.Instruments.Analyzer;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog.Core;

namespace CimHil.Instruments.Tests.Analyzer;

/// <summary>The 4200A's KXCI text, its declared ranges, and NUL-terminated exchanges on a real loopback socket.</summary>
public sealed class Keithley4200AProtocolTests
{
    [Fact]
    public void Commands_AreTheManualsKxciText()
    {
        Assert.Equal("DV1, 0, -1.5, 0.0001", Keithley4200A.ForceVoltageCommand(1, -1.5, 1e-4));
        Assert.Equal("DV2", Keithley4200A.SmuOffCommand(2));
        Assert.Equal("TI3", Keithley4200A.CurrentQuery(3));
        Assert.Equal(":PMU:RPM:CONFIGURE PMU1-2, 0", Keithley4200A.RpmCommand(2, Keithley4200A.RpmToPmu));

        // KXCI manual 4200A-KXCI-907-01D pp. 7-22–7-23: 0 PMU, 1 CV 2-wire, 2 SMU, 3 CV 4-wire (1 would route the CVU).
        Assert.Equal(":PMU:RPM:CONFIGURE PMU1-1, 2", Keithley4200A.RpmCommand(1, Keithley4200A.RpmToSmu));
        Assert.Throws<ArgumentOutOfRangeException>(() => Keithley4200A.RpmCommand(1, 1));
        Assert.Equal(":PMU:OUTPUT:STATE 1, 1", Keithley4200A.PmuOutputCommand(1, true));
        Assert.Equal(
            [":PMU:PULSE:TIMES 2, 2.04E-05, 1E-05, 1E-07, 1E-07, 0", ":PMU:PULSE:LIMITS 2, 10, 0.001, 0.01", ":PMU:PULSE:TRAIN 2, 0, 2.5"],
            Keithley4200A.PulseSetup(2, 2.5, 1e-3, 10e-6));
    }

    [Theory]
    [InlineData(250.0, 1e-4, "4200A SMU voltage: 250 V exceeds the maximum 210 V")]
    [InlineData(1.0, 0.5, "4200A SMU compliance: 0.5 A exceeds the maximum 0.105 A")]
    public void ForceVoltageOutsideTheDeclaredRanges_IsRefused(double levelV, double complianceA, string message) =>
        Assert.StartsWith(message, Assert.Throws<ArgumentOutOfRangeException>(() => Keithley4200A.ForceVoltageCommand(1, levelV, complianceA)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public void SmuOutsideOneToNine_IsRefused(int smu) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Keithley4200A.SmuOffCommand(smu));

    [Fact]
    public void PulseWidthBelowThePmusShortest_IsRefused() =>
        Assert.StartsWith("4200A PMU pulse width: 1E-08 s is below the minimum 6E-08 s", Assert.Throws<ArgumentOutOfRangeException>(() => Keithley4200A.PulseSetup(1, 1, 1e-3, 10e-9)).Message, StringComparison.Ordinal);

    [Fact]
    public void PulsedReadSetup_IsSpotMeanOfThePulseTop_ThenThePulse()
    {
        Assert.Equal(
            [":PMU:MEASURE:MODE 1", ":PMU:MEASURE:PIV 1, 1, 0", ":PMU:TIMES:PIV 1, 0.75, 0.9", ":PMU:PULSE:TIMES 1, 2.04E-05, 1E-05, 1E-07, 1E-07, 0", ":PMU:PULSE:LIMITS 1, 10, 0.001, 0.01", ":PMU:PULSE:TRAIN 1, 0, 0.2"],
            Keithley4200A.PulsedReadSetup(1, 0.2, 1e-3, 10e-6));
        Assert.Equal(":PMU:DATA:GET 2, 0, 1", Keithley4200A.SpotMeanQuery(2));
        Assert.StartsWith("4200A PMU pulse level: 11 V exceeds the maximum 10 V", Assert.Throws<ArgumentOutOfRangeException>(() => Keithley4200A.PulsedReadSetup(1, 11, 1e-3, 10e-6)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.000000E-01,1.234000E-05,1.000000E-05,0,0.000000E+00,0.000000E+00,0.000000E+00,0", 0.2, 1.234e-5, 1e-5, 0L)]
    [InlineData("0.2,-3E-06,2E-05,4;0.2,-3.1E-06,4E-05,0", 0.2, -3e-6, 2e-5, 4L)]
    public void ParseSpotMean_TakesTheFirstRecordsHighLevel(string reply, double v, double i, double t, long status) =>
        Assert.Equal(new PmuSpotReading(v, i, t, status), Keithley4200A.ParseSpotMean(reply));

    [Theory]
    [InlineData("ERROR")]
    [InlineData("0.2,1E-05,1E-05")]
    [InlineData("0.2,NaN,1E-05,0")]
    public void ParseSpotMean_RefusesWhatIsNotARecord(string reply) =>
        Assert.Contains("is not a PMU spot-mean record", Assert.Throws<FormatException>(() => Keithley4200A.ParseSpotMean(reply)).Message, StringComparison.Ordinal);

    [Fact]
    public async Task OverASocket_MessagesEndWithNul_AndARefusalIsReadFromTheLastError()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = new List<string>();
        var serving = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            var pending = new List<byte>();
            var buffer = new byte[256];
            string[] replies = ["ERROR", "-100,\"SMU9 is not installed\"", "ACK"];
            for (var i = 0; i < replies.Length;)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    return;
                }

                pending.AddRange(buffer.AsSpan(0, n).ToArray());
                int nul;
                while ((nul = pending.IndexOf(0)) >= 0)
                {
                    received.Add(Encoding.ASCII.GetString([.. pending.Take(nul)]));
                    pending.RemoveRange(0, nul + 1);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(replies[i++] + "\0"));
                }
            }
        });
        var options = new TransportOptions { Config = TransportConfig.Default with { TimeoutSeconds = 2, ConnectTimeoutSeconds = 2, Retries = 0 } };
        var analyzer = await Keithley4200A.OpenAsync($"TCPIP0::127.0.0.1::{port}::SOCKET", options, Logger.None, TransportFactory.Instance, CancellationToken.None);
        await using var session = analyzer.Session;

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => analyzer.CommandAsync("DV9", CancellationToken.None));

        Assert.Equal((-100, "SMU9 is not installed", "DV9"), (error.Code, error.ErrorMessage, error.Command));
        await serving;
        Assert.Equal(["DV9", ":ERROR:LAST:GET", ":ERROR:LAST:CLEAR"], received);
    }
}

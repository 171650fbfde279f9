using System.Net.Sockets;
using System.Text;
using CimHil.Emulator.Instruments;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Instruments;

/// <summary>The emulated 4200A-SCS's KXCI subset: acknowledgements, the last error, refusals, and NUL-terminated messages on a socket.</summary>
public sealed class Keithley4200AEmulatorTests
{
    private static Keithley4200ABench NewBench() => new(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 }), Logger.None);

    private static async Task<string?> Ask(Keithley4200ABench bench, string message) => await bench.Analyzer.ExecuteAsync(message, CancellationToken.None);

    [Fact]
    public async Task UnknownCommand_AnswersError_AndTheLastErrorNamesIt_UntilCleared()
    {
        var bench = NewBench();

        Assert.Equal("ERROR", await Ask(bench, ":SYST:ERR?"));
        Assert.Equal("-100,\"undefined or malformed KXCI command ':SYST:ERR?'\"", await Ask(bench, ":ERROR:LAST:GET"));
        Assert.Equal("ACK", await Ask(bench, ":ERROR:LAST:CLEAR"));
        Assert.Equal("NO ERROR", await Ask(bench, ":ERROR:LAST:GET"));
        Assert.Equal(1, bench.Analyzer.ErrorCount);
    }

    [Fact]
    public async Task ForceVoltage_NeedsUserMode_AndRespectsTheSmuRanges()
    {
        var bench = NewBench();

        Assert.Equal("ERROR", await Ask(bench, "DV1, 0, 0.2, 1e-3"));
        Assert.Equal("ACK", await Ask(bench, "US"));
        Assert.Equal("ERROR", await Ask(bench, "DV1, 0, 250, 1e-3"));
        Assert.Equal("ERROR", await Ask(bench, "DV1, 0, 1, 0.2"));
        Assert.True(bench.Analyzer.IsSmuOff(1));
        Assert.Equal("ACK", await Ask(bench, "DV1, 0, 0.2, 1e-3"));
        Assert.False(bench.Analyzer.IsSafe);
        Assert.Matches("^[NC]AI[+-]\\d\\.\\d{6}E[+-]\\d{2}$", await Ask(bench, "TI1"));
        Assert.Equal("ACK", await Ask(bench, "DV1"));
        Assert.True(bench.Analyzer.IsSafe);
    }

    [Fact]
    public async Task PmuExecute_WithTheRpmOnTheSmuPath_PulsesNothing()
    {
        var bench = NewBench();
        foreach (var m in new[] { ":PMU:INIT 0", ":PMU:PULSE:TIMES 1, 2e-3, 1e-3, 1e-7, 1e-7, 0", ":PMU:PULSE:LIMITS 1, 10, 1e-4, 1e-3", ":PMU:PULSE:TRAIN 1, 0, 1.5", ":PMU:OUTPUT:STATE 1, 1", ":PMU:EXECUTE" })
        {
            Assert.Equal("ACK", await Ask(bench, m));
        }

        Assert.Equal(0, bench.PulsesApplied);
        Assert.Equal("0", await Ask(bench, ":PMU:TEST:STATUS?"));
        Assert.False(bench.Analyzer.PmuOutputsOff);
        Assert.Equal("ACK", await Ask(bench, "*RST"));
        Assert.True(bench.Analyzer.IsSafe);
    }

    [Fact]
    public async Task OverTcp_MessagesAndRepliesEndWithNul()
    {
        var bench = NewBench();
        await using var server = new LineInstrumentServer(bench.Analyzer, Logger.None, terminator: 0);
        server.Start();
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.Port);
        var stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes("US\0*IDN?\0"));
        var buffer = new byte[256];
        var received = new List<byte>();
        while (received.Count(b => b == 0) < 2)
        {
            var n = await stream.ReadAsync(buffer);
            Assert.True(n > 0, "the emulated 4200A closed the connection");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        Assert.Equal("ACK\0KEITHLEY INSTRUMENTS,KI4200A,4200A-0001,V1.13\0", Encoding.ASCII.GetString([.. received]));
        Assert.Equal(["US", "*IDN?"], server.Received);
    }
}

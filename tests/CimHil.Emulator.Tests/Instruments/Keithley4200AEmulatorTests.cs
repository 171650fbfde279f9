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
    public async Task PulsedRead_AtReadVoltage_AcquiresTheCellsCurrent_WithoutProgrammingIt()
    {
        var bench = NewBench();
        foreach (var m in new[] { "US", "*IDN?" })
        {
            await Ask(bench, m);
        }

        // Route cell (0,0) through the 707B as the driver does, then one spot-mean read pulse at 0.2 V.
        var cell = new CimHil.Core.Chip.CellAddress(0, 0);
        await bench.Matrix.ExecuteAsync("channel.exclusiveclose(\"1A01,2B01\")", CancellationToken.None);
        Assert.Equal("ERROR", await Ask(bench, ":PMU:DATA:GET 1, 0, 1"));
        foreach (var m in new[] { ":PMU:INIT 0", ":PMU:RPM:CONFIGURE PMU1-1, 0", ":PMU:MEASURE:MODE 1", ":PMU:MEASURE:PIV 1, 1, 0", ":PMU:TIMES:PIV 1, 0.75, 0.9", ":PMU:PULSE:TIMES 1, 2.04e-5, 1e-5, 1e-7, 1e-7, 0", ":PMU:PULSE:LIMITS 1, 10, 1e-3, 1e-2", ":PMU:PULSE:TRAIN 1, 0, 0.2", ":PMU:OUTPUT:STATE 1, 1", ":PMU:EXECUTE" })
        {
            Assert.Equal("ACK", await Ask(bench, m));
        }

        var record = (await Ask(bench, ":PMU:DATA:GET 1, 0, 1"))!.Split(',');
        Assert.Equal(8, record.Length);
        Assert.Equal(0.2, double.Parse(record[0], System.Globalization.CultureInfo.InvariantCulture));
        var currentA = double.Parse(record[1], System.Globalization.CultureInfo.InvariantCulture);
        // 5 σ of the emulator's read noise, σ = s·(floor + relative·G) with the per-cell scale s bounded by e^(4·0.2).
        var g = bench.Chip.TrueConductanceS(cell);
        var rram = EmulatorSettings.Defaults.Rram;
        var toleranceA = 5 * Math.Exp(0.8) * (rram.ReadNoiseFloorS + (rram.ReadNoiseRelative * g)) * 0.2;
        Assert.InRange(currentA, (g * 0.2) - toleranceA, (g * 0.2) + toleranceA);
        Assert.NotEqual(0.0, currentA);
        Assert.Equal("1", await Ask(bench, ":PMU:DATA:COUNT? 1"));
        Assert.Equal(0, bench.PulsesApplied);
        Assert.Equal(1, bench.Analyzer.PulsedReads);
    }

    [Theory]
    [InlineData(":PMU:TIMES:PIV 1, 0.9, 0.75", "start before stop")]
    [InlineData(":PMU:MEASURE:MODE 7", "measure mode is 0–4")]
    [InlineData(":PMU:PULSE:TRAIN 1, 0, 12", "beyond the 10 V range")]
    [InlineData(":PMU:PULSE:TIMES 1, 1e-6, 2e-6, 1e-7, 1e-7, 0", "longer than the period")]
    public async Task PmuValuesOutsideTheCardsLimits_AnswerError_AndTheLastErrorSaysWhy(string command, string why)
    {
        var bench = NewBench();
        Assert.Equal("ACK", await Ask(bench, ":PMU:INIT 0"));

        Assert.Equal("ERROR", await Ask(bench, command));

        Assert.Contains(why, await Ask(bench, ":ERROR:LAST:GET"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAPmu_EveryPmuCommandIsRefused_NamingTheMissingCard()
    {
        var bench = new Keithley4200ABench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 }), Logger.None, pmuInstalled: false);

        Assert.Equal("ERROR", await Ask(bench, ":PMU:INIT 0"));

        Assert.Equal("-100,\":PMU:INIT 0: no 4225-PMU is installed\"", await Ask(bench, ":ERROR:LAST:GET"));
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

using CimHil.Emulator.Instruments;
using CimHil.Emulator.Instruments.B1500;
using CimHil.Emulator.Tests.Wire;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Instruments;

/// <summary>The emulated bench instruments on their raw sockets: an over-long message is discarded (-363), as on the board.</summary>
public sealed class LineInstrumentServerTests
{
    [Fact]
    public async Task AMessageLongerThanTheCap_IsDiscardedUnexecutedWithMinus363_AndTheNextIsAnswered()
    {
        var bench = new SmuMatrixBench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 }), Logger.None);
        await using var server = new LineInstrumentServer(bench.Smu, Logger.None, maxMessageBytes: 256);
        server.Start();
        using var client = await WireClient.ConnectAsync(server.Port);

        await client.SendAsync(":SOUR:VOLT 0.5;" + new string(' ', 300) + "*OPC?\n:SYST:ERR?\n*OPC?\n");

        Assert.Equal("-363,\"Input buffer overrun;message longer than 256 bytes, discarded unexecuted\"", await client.ReadLineAsync());
        Assert.Equal("1", await client.ReadLineAsync());
        Assert.Equal(0, bench.Smu.SourceLevelV);
        Assert.Equal([":SYST:ERR?", "*OPC?"], server.Received);
    }

    [Fact]
    public async Task AnInstrumentWithoutAnErrorQueue_JustLosesTheOverLongMessage()
    {
        var bench = new B1500Bench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 }), Logger.None);
        await using var server = new LineInstrumentServer(bench.Wgfmu, Logger.None, maxMessageBytes: 256);
        server.Start();
        using var client = await WireClient.ConnectAsync(server.Port);

        await client.SendAsync(new string('W', 257) + "\r\nWGFMU_getChannelIdSize\n");

        Assert.Equal("0 2", await client.ReadLineAsync());
    }

    [Fact]
    public void ACapBelow256Bytes_IsRefused()
    {
        var bench = new SmuMatrixBench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 }), Logger.None);

        Assert.Throws<ArgumentOutOfRangeException>(() => new LineInstrumentServer(bench.Smu, Logger.None, maxMessageBytes: 255));
    }
}

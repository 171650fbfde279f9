using CimHil.Emulator.Instruments;
using CimHil.Emulator.Instruments.B1500;
using CimHil.Emulator.Tests.Wire;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Instruments;

/// <summary>The emulated bench instruments on their raw sockets: an over-long message is discarded (-363), as on the board.</summary>
public sealed class LineInstrumentServerTests
{
    private static async Task<(LineInstrumentServer Server, WireClient Client)> ServeAsync(ILineInstrument instrument)
    {
        var server = new LineInstrumentServer(instrument, Logger.None, maxMessageBytes: 256);
        server.Start();
        return (server, await WireClient.ConnectAsync(server.Port));
    }

    [Fact]
    public async Task AMessageLongerThanTheCap_IsDiscardedUnexecutedWithMinus363_AndTheNextIsAnswered()
    {
        var bench = new SmuMatrixBench(TestChips.BenchArray(), Logger.None);
        var (server, client) = await ServeAsync(bench.Smu);
        await using var _ = server;
        using var __ = client;

        await client.SendAsync(":SOUR:VOLT 0.5;" + new string(' ', 300) + "*OPC?\n:SYST:ERR?\n*OPC?\n");

        Assert.Equal("-363,\"Input buffer overrun;message longer than 256 bytes, discarded unexecuted\"", await client.ReadLineAsync());
        Assert.Equal("1", await client.ReadLineAsync());
        Assert.Equal(0, bench.Smu.SourceLevelV);
        Assert.Equal([":SYST:ERR?", "*OPC?"], server.Received);
    }

    [Fact]
    public async Task AnInstrumentWithoutAnErrorQueue_JustLosesTheOverLongMessage()
    {
        var bench = new B1500Bench(TestChips.BenchArray(), Logger.None);
        var (server, client) = await ServeAsync(bench.Wgfmu);
        await using var _ = server;
        using var __ = client;

        await client.SendAsync(new string('W', 257) + "\r\nWGFMU_getChannelIdSize\n");

        Assert.Equal("0 2", await client.ReadLineAsync());
    }

    [Fact]
    public void ACapBelow256Bytes_IsRefused()
    {
        var bench = new SmuMatrixBench(TestChips.BenchArray(), Logger.None);

        Assert.Throws<ArgumentOutOfRangeException>(() => new LineInstrumentServer(bench.Smu, Logger.None, maxMessageBytes: 255));
    }
}

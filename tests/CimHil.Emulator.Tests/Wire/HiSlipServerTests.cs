using System.Net.Sockets;
using CimHil.Emulator.Wire;
using Serilog;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>
/// The HiSLIP server byte for byte, from a client written here by hand from IVI-6.1 (no shared encoder): every header is
/// spelled out as "HS", type, control code, 4-byte parameter and 8-byte length, big-endian.
/// </summary>
public sealed class HiSlipServerTests
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    [Fact]
    public async Task Initialize_AsyncInitialize_MaximumSize_AndAQuery_ExactBytes()
    {
        await using var server = Start();
        using var sync = await ConnectAsync(server);

        // Initialize: version 2.0, vendor "ZZ", sub-address "hislip0" -> InitializeResponse: synchronized, version 2.0, session 1.
        await SendAsync(sync, [.. "HS"u8, 0, 0, 0x02, 0x00, (byte)'Z', (byte)'Z', 0, 0, 0, 0, 0, 0, 0, 7, .. "hislip0"u8]);
        Assert.Equal([.. "HS"u8, 1, 0, 0x02, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(sync, 16));

        // AsyncInitialize(session 1) -> AsyncInitializeResponse with the server vendor "CH".
        using var asyncChannel = await ConnectAsync(server);
        await SendAsync(asyncChannel, [.. "HS"u8, 17, 0, 0, 0, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal([.. "HS"u8, 18, 0, 0, 0, (byte)'C', (byte)'H', 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(asyncChannel, 16));

        // AsyncMaximumMessageSize(1 GiB) -> the board's 1 MiB program-message limit.
        await SendAsync(asyncChannel, [.. "HS"u8, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0x40, 0, 0, 0]);
        Assert.Equal([.. "HS"u8, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0x10, 0, 0], await ReceiveAsync(asyncChannel, 24));

        // DataEnd(0xffffff00, "SYST:ERR?") without LF: END ends the message; the reply echoes the MessageID.
        await SendAsync(sync, [.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 9, .. "SYST:ERR?"u8]);
        Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 13, .. "0,\"No error\"\n"u8], await ReceiveAsync(sync, 29));

        // Data then DataEnd make one message; the reply carries the DataEnd's MessageID.
        await SendAsync(sync, [.. "HS"u8, 6, 1, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 4, .. "ARR:"u8]);
        await SendAsync(sync, [.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x04, 0, 0, 0, 0, 0, 0, 0, 6, .. "GEOM?\n"u8]);
        Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x04, 0, 0, 0, 0, 0, 0, 0, 4, .. "4,4\n"u8], await ReceiveAsync(sync, 20));
    }

    [Fact]
    public async Task Initialize_WithVersion1_IsAnsweredWithVersion1()
    {
        await using var server = Start();
        using var sync = await ConnectAsync(server);
        await SendAsync(sync, [.. "HS"u8, 0, 0, 0x01, 0x00, (byte)'Z', (byte)'Z', 0, 0, 0, 0, 0, 0, 0, 7, .. "hislip0"u8]);
        Assert.Equal([.. "HS"u8, 1, 0, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(sync, 16));
    }

    [Fact]
    public async Task PoorlyFormedHeader_IsFatalError1_ThenTheConnectionCloses()
    {
        await using var server = Start();
        using var client = await ConnectAsync(server);
        await SendAsync(client, [.. "XY"u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var received = await ReceiveToEndAsync(client);
        Assert.Equal([.. "HS"u8, 2, 1, 0, 0, 0, 0], received[..8]);
        Assert.Equal((ulong)(received.Length - 16), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(received.AsSpan(8, 8)));
    }

    [Fact]
    public async Task UnknownSubAddress_IsAFatalErrorNamingIt()
    {
        await using var server = Start();
        using var client = await ConnectAsync(server);
        await SendAsync(client, [.. "HS"u8, 0, 0, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, .. "hislip9"u8]);
        var received = await ReceiveToEndAsync(client);
        Assert.Equal([.. "HS"u8, 2, 0], received[..4]);
        Assert.Equal("unknown sub-address 'hislip9': this server serves hislip0", System.Text.Encoding.ASCII.GetString(received, 16, received.Length - 16));
    }

    [Fact]
    public async Task AsyncInitializeForAnUnknownSession_IsFatalError3()
    {
        await using var server = Start();
        using var client = await ConnectAsync(server);
        await SendAsync(client, [.. "HS"u8, 17, 0, 0, 0, 0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 0]);
        var received = await ReceiveToEndAsync(client);
        Assert.Equal([.. "HS"u8, 2, 3], received[..4]);
    }

    [Fact]
    public async Task DataBeforeTheAsynchronousChannel_IsFatalError2_AndNothingExecutes()
    {
        await using var server = Start();
        using var sync = await ConnectAsync(server);
        await SendAsync(sync, [.. "HS"u8, 0, 0, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, .. "hislip0"u8]);
        await ReceiveAsync(sync, 16);
        await SendAsync(sync, [.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 6, .. "*IDN?\n"u8]);
        var received = await ReceiveToEndAsync(sync);
        Assert.Equal([.. "HS"u8, 2, 2], received[..4]);
        Assert.Equal(0, server.Board.Protocol.CommandsExecuted);
    }

    [Fact]
    public async Task DeviceClear_IsAcknowledgedOnBothChannels_InSynchronizedMode()
    {
        await using var server = Start();
        var (sync, asyncChannel) = await OpenSessionAsync(server);
        using (sync)
        using (asyncChannel)
        {
            await SendAsync(asyncChannel, [.. "HS"u8, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal([.. "HS"u8, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(asyncChannel, 16));
            await SendAsync(sync, [.. "HS"u8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal([.. "HS"u8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(sync, 16));
        }
    }

    [Fact]
    public async Task ExclusiveLock_HoldsBackAnotherSessionsMessage_UntilReleased()
    {
        await using var server = Start();
        var (syncA, asyncA) = await OpenSessionAsync(server);
        var (syncB, asyncB) = await OpenSessionAsync(server);
        using (syncA)
        using (asyncA)
        using (syncB)
        using (asyncB)
        {
            // A: AsyncLock request, timeout 0 -> success (1). B: the same -> failure (0).
            await SendAsync(asyncA, [.. "HS"u8, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal([.. "HS"u8, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(asyncA, 16));
            await SendAsync(asyncB, [.. "HS"u8, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal([.. "HS"u8, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(asyncB, 16));

            // B's query waits while A holds the lock.
            await SendAsync(syncB, [.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 10, .. "ARR:GEOM?\n"u8]);
            await Task.Delay(200);
            Assert.Equal(0, syncB.Available);
            Assert.Equal(0, server.Board.Protocol.CommandsExecuted);

            // B releasing a lock it does not hold: error (3). A releases: success (1); B's reply follows.
            await SendAsync(asyncB, [.. "HS"u8, 4, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal([.. "HS"u8, 5, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(asyncB, 16));
            await SendAsync(asyncA, [.. "HS"u8, 4, 0, 0xFF, 0xFF, 0xFE, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal([.. "HS"u8, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await ReceiveAsync(asyncA, 16));
            Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 4, .. "4,4\n"u8], await ReceiveAsync(syncB, 20));
        }
    }

    [Fact]
    public async Task MessageLargerThanTheBoardAccepts_IsError4_AndTheSessionGoesOn()
    {
        await using var server = Start(new BoardServerOptions { MaxMessageBytes = 256 });
        var (sync, asyncChannel) = await OpenSessionAsync(server);
        using (sync)
        using (asyncChannel)
        {
            await SendAsync(sync, [.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 1, 1, .. new byte[257]]);
            var error = await ReceiveAsync(sync, 16);
            Assert.Equal([.. "HS"u8, 3, 4, 0, 0, 0, 0], error[..8]);
            await ReceiveAsync(sync, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(error.AsSpan(8)));
            await SendAsync(sync, [.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 10, .. "ARR:GEOM?\n"u8]);
            Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 4, .. "4,4\n"u8], await ReceiveAsync(sync, 20));
        }
    }

    [Fact]
    public async Task DropFault_ClosesBothConnectionsWithoutAReply_AfterExecutingTheMessage()
    {
        await using var server = Start();
        var (sync, asyncChannel) = await OpenSessionAsync(server);
        using (sync)
        using (asyncChannel)
        {
            server.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
            await SendAsync(sync, [.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 6, .. "*IDN?\n"u8]);
            Assert.Empty(await ReceiveToEndAsync(sync));
            Assert.Empty(await ReceiveToEndAsync(asyncChannel));
            Assert.Equal(1, server.Board.Protocol.CommandsExecuted);
        }
    }

    private static Served Start(BoardServerOptions? options = null)
    {
        var chip = new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 });
        var board = new BoardServer(chip, Log, options);
        var server = new HiSlipBoardServer(board, Log, port: 0);
        server.Start();
        return new Served(chip, board, server);
    }

    /// <summary>Initialize and AsyncInitialize as a client does; returns both connections.</summary>
    private static async Task<(Socket Sync, Socket Async)> OpenSessionAsync(Served server)
    {
        var sync = await ConnectAsync(server);
        await SendAsync(sync, [.. "HS"u8, 0, 0, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, .. "hislip0"u8]);
        var response = await ReceiveAsync(sync, 16);
        var asyncChannel = await ConnectAsync(server);
        await SendAsync(asyncChannel, [.. "HS"u8, 17, 0, 0, 0, response[6], response[7], 0, 0, 0, 0, 0, 0, 0, 0]);
        await ReceiveAsync(asyncChannel, 16);
        return (sync, asyncChannel);
    }

    private static async Task<Socket> ConnectAsync(Served server)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", server.Server.Port);
        return socket;
    }

    private static async Task SendAsync(Socket socket, byte[] message) => await socket.SendAsync(message);

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var got = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (got < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            Assert.True(n > 0, $"the server closed the connection after {got} of {count} bytes");
            got += n;
        }

        return buffer;
    }

    private static async Task<byte[]> ReceiveToEndAsync(Socket socket)
    {
        var bytes = new List<byte>();
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) is var n and > 0)
        {
            bytes.AddRange(buffer.AsSpan(0, n));
        }

        return [.. bytes];
    }

    private sealed record Served(EmulatedChip Chip, BoardServer Board, HiSlipBoardServer Server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Board.Dispose();
            await Chip.DisposeAsync();
        }
    }
}

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using CimHil.Emulator.Wire;
using Serilog;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>
/// The VXI-11 server byte for byte, from a client written here by hand from RFC 1831/1833 and the VXI-11 spec
/// (no shared encoder): every record below is spelled out as its 4-byte XDR units.
/// </summary>
public sealed class Vxi11ServerTests
{
    private const uint LastFragment = 0x8000_0000;
    private const uint Portmapper = 100000;
    private const uint Core = 0x0607AF;

    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    [Fact]
    public async Task GetPort_CreateLink_WriteWithEnd_ReadInTwoChunks_ExactBytes()
    {
        await using var server = await StartAsync();
        using var pmap = await ConnectAsync(server.Server.PortmapperPort);

        // PMAPPROC_GETPORT(prog 0x0607AF, vers 1, IPPROTO_TCP, 0) -> the core channel's port.
        Assert.Equal(Reply(1, (uint)server.Server.Port), await CallAsync(pmap, Call(1, Portmapper, 2, 3, 0x0607AF, 1, 6, 0)));

        using var core = await ConnectAsync(server.Server.Port);

        // create_link(clientId 7, no lock, lock_timeout 10000, "inst0") -> error 0, lid 1, abortPort 0, maxRecvSize 65536.
        Assert.Equal(Reply(2, 0, 1, 0, 65536), await CallAsync(core, Call(2, Core, 1, 10, 7, 0, 10000, 5, "inst0\0\0\0")));

        // device_write(lid 1, io 1000 ms, lock 0, flags END, "SYST:ERR?") with no LF: END ends the message.
        Assert.Equal(Reply(3, 0, 9), await CallAsync(core, Call(3, Core, 1, 11, 1, 1000, 0, 8, 9, "SYST:ERR?\0\0\0")));

        // device_read of 8 bytes: request count reached (reason 1); then the rest with END (reason 4).
        Assert.Equal(Reply(4, 0, 1, 8, "0,\"No er"), await CallAsync(core, Call(4, Core, 1, 12, 1, 8, 1000, 0, 0, 0)));
        Assert.Equal(Reply(5, 0, 4, 5, "ror\"\n\0\0\0"), await CallAsync(core, Call(5, Core, 1, 12, 1, 1024, 1000, 0, 0, 0)));

        // destroy_link(lid 1) -> 0; a read on it afterwards -> invalid link id (4).
        Assert.Equal(Reply(6, 0), await CallAsync(core, Call(6, Core, 1, 23, 1)));
        Assert.Equal(Reply(7, 4, 0, 0), await CallAsync(core, Call(7, Core, 1, 12, 1, 1024, 1000, 0, 0, 0)));
    }

    [Fact]
    public async Task DropFault_ClosesTheConnectionWithoutAReply_AfterExecutingTheMessage()
    {
        await using var server = await StartAsync();
        using var core = await SendIdnOnANewLinkAsync(server, new BoardFaults { DropAfterCommands = 1 });
        await SendAsync(core, Call(3, Core, 1, 12, 1, 1024, 1000, 0, 0, 0));
        Assert.Empty(await ReceiveToEndAsync(core));
        Assert.Equal(1, server.Board.Protocol.CommandsExecuted);
    }

    [Fact]
    public async Task StallFault_DeviceReadAnswersIoTimeoutAfterItsIoTimeout()
    {
        await using var server = await StartAsync();
        using var core = await SendIdnOnANewLinkAsync(server, new BoardFaults { StallAfterCommands = 0 });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(Reply(3, 15, 0, 0), await CallAsync(core, Call(3, Core, 1, 12, 1, 1024, 200, 0, 0, 0)));
        Assert.InRange(watch.Elapsed.TotalMilliseconds, 150, 5000);
    }

    [Fact]
    public async Task UnknownProgramAndVersion_AreRefusedAsRfc1831Says()
    {
        await using var server = await StartAsync();
        using var pmap = await ConnectAsync(server.Server.PortmapperPort);

        // PROG_MISMATCH (2) with the supported range 2..2; PROG_UNAVAIL (1).
        Assert.Equal(Words(1, 1, 0, 0, 0, 2, 2, 2), await CallAsync(pmap, Call(1, Portmapper, 3, 3)));
        Assert.Equal(Words(2, 1, 0, 0, 0, 1), await CallAsync(pmap, Call(2, 100003, 3, 0)));
    }

    private static async Task<Served> StartAsync()
    {
        var chip = new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 });
        var board = new BoardServer(chip, Log);
        var server = new Vxi11BoardServer(board, Log, portmapperPort: 0);
        server.Start();
        await Task.Yield();
        return new Served(chip, board, server);
    }

    /// <summary>Creates link 1 (xid 1), arms <paramref name="faults"/>, and writes "*IDN?\n" on it (xid 2).</summary>
    private static async Task<Socket> SendIdnOnANewLinkAsync(Served server, BoardFaults faults)
    {
        var core = await ConnectAsync(server.Server.Port);
        Assert.Equal(Reply(1, 0, 1, 0, 65536), await CallAsync(core, Call(1, Core, 1, 10, 7, 0, 0, 5, "inst0\0\0\0")));
        server.Board.Faults = faults;
        Assert.Equal(Reply(2, 0, 6), await CallAsync(core, Call(2, Core, 1, 11, 1, 1000, 0, 8, 6, "*IDN?\n\0\0")));
        return core;
    }

    /// <summary>A call with AUTH_NONE credential and verifier (RFC 1831 section 8), then the argument units.</summary>
    private static byte[] Call(uint xid, uint program, uint version, uint procedure, params object[] arguments) =>
        Words([xid, 0u, 2u, program, version, procedure, 0u, 0u, 0u, 0u, .. arguments]);

    /// <summary>An accepted, successful reply (reply, MSG_ACCEPTED, null verifier, SUCCESS), then the result units.</summary>
    private static byte[] Reply(uint xid, params object[] results) => Words([xid, 1u, 0u, 0u, 0u, 0u, .. results]);

    /// <summary>uint and int as big-endian 4-byte units; strings as their ASCII bytes (already padded by the caller).</summary>
    private static byte[] Words(params object[] parts)
    {
        var bytes = new List<byte>();
        foreach (var part in parts)
        {
            if (part is string text)
            {
                bytes.AddRange(Encoding.ASCII.GetBytes(text));
                continue;
            }

            var unit = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(unit, part is int i ? unchecked((uint)i) : (uint)part);
            bytes.AddRange(unit);
        }

        return [.. bytes];
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        return socket;
    }

    private static async Task SendAsync(Socket socket, byte[] record)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, LastFragment | (uint)record.Length);
        await socket.SendAsync((byte[])[.. header, .. record]);
    }

    /// <summary>Sends one record and returns the reply record's body, checking its header marks one last fragment.</summary>
    private static async Task<byte[]> CallAsync(Socket socket, byte[] record)
    {
        await SendAsync(socket, record);
        var header = await ReceiveAsync(socket, 4);
        var word = BinaryPrimitives.ReadUInt32BigEndian(header);
        Assert.True((word & LastFragment) != 0, "the reply is not a single last fragment");
        return await ReceiveAsync(socket, (int)(word & ~LastFragment));
    }

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

    private sealed record Served(EmulatedChip Chip, BoardServer Board, Vxi11BoardServer Server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Board.Dispose();
            await Chip.DisposeAsync();
        }
    }
}

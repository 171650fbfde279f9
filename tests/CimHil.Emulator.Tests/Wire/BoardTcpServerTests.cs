using System.Net.Sockets;
using System.Text;
using CimHil.Emulator.Wire;
using Serilog;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>Exact bytes on a raw loopback socket, and the fault modes as a plain client sees them.</summary>
public sealed class BoardTcpServerTests
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    private static async Task<(BoardServer Board, BoardTcpServer Tcp, EmulatedChip Chip)> StartAsync()
    {
        var chip = new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4, Technology = Core.Chip.DeviceTechnology.Pcm });
        var board = new BoardServer(chip, Log);
        var tcp = new BoardTcpServer(board, Log);
        tcp.Start();
        await Task.Yield();
        return (board, tcp, chip);
    }

    private static async Task<Socket> ConnectAsync(BoardTcpServer tcp)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", tcp.Port);
        return socket;
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var got = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (got < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        return buffer[..got];
    }

    [Fact]
    public async Task IdnOverRawSocket_ExactBytes()
    {
        var (board, tcp, chip) = await StartAsync();
        await using (tcp)
        using (board)
        await using (chip)
        {
            using var socket = await ConnectAsync(tcp);
            await socket.SendAsync("*IDN?\r\n"u8.ToArray());
            var expected = "CimHil,Emulated PCM array (aihwkit PCMLikeNoiseModel statistics),EMU-0001,emulator-1\n";
            Assert.Equal(expected, Encoding.ASCII.GetString(await ReceiveAsync(socket, expected.Length)));
            Assert.StartsWith("TCPIP0::127.0.0.1::", tcp.ResourceString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BlockReadOverRawSocket_HeaderPayloadAndTerminator()
    {
        var (board, tcp, chip) = await StartAsync();
        await using (tcp)
        using (board)
        await using (chip)
        {
            using var socket = await ConnectAsync(tcp);
            await socket.SendAsync("FORM REAL,32\nBLK:READ? 0,0,4,4,0.2\n"u8.ToArray());
            var reply = await ReceiveAsync(socket, 4 + 64 + 1);
            Assert.Equal("#264", Encoding.ASCII.GetString(reply, 0, 4));
            Assert.Equal((byte)'\n', reply[^1]);
        }
    }

    [Fact]
    public async Task DropFault_ExecutesTheCommandThenClosesTheConnection()
    {
        var (board, tcp, chip) = await StartAsync();
        await using (tcp)
        using (board)
        await using (chip)
        {
            using var socket = await ConnectAsync(tcp);
            board.Faults = new BoardFaults { DropAfterCommands = 1 };
            await socket.SendAsync("CELL:PROG 0,0,SET,1.0,1e-6\n*OPC?\n"u8.ToArray());
            Assert.Empty(await ReceiveAsync(socket, 1)); // EOF: the connection was closed without a reply
            Assert.Equal(1, board.PulsesApplied);

            using var again = await ConnectAsync(tcp);
            await again.SendAsync("*OPC?\n"u8.ToArray());
            Assert.Equal("1\n"u8.ToArray(), await ReceiveAsync(again, 2));
        }
    }

    [Fact]
    public async Task CorruptFault_ReplacesTheFirstByteOnce()
    {
        var (board, tcp, chip) = await StartAsync();
        await using (tcp)
        using (board)
        await using (chip)
        {
            using var socket = await ConnectAsync(tcp);
            board.Faults = new BoardFaults { CorruptReplies = 1 };
            await socket.SendAsync("ARR:GEOM?\nARR:GEOM?\n"u8.ToArray());
            Assert.Equal("?,4\n4,4\n", Encoding.ASCII.GetString(await ReceiveAsync(socket, 8)));
        }
    }

    [Fact]
    public async Task StallFault_AnswersNothingUntilCleared()
    {
        var (board, tcp, chip) = await StartAsync();
        await using (tcp)
        using (board)
        await using (chip)
        {
            using var socket = await ConnectAsync(tcp);
            board.Faults = new BoardFaults { StallAfterCommands = 1 };
            await socket.SendAsync("*OPC?\n*IDN?\n"u8.ToArray());
            Assert.Equal("1\n"u8.ToArray(), await ReceiveAsync(socket, 2));

            // The *IDN? must reach the fault decision before the faults are cleared: clearing as soon as the *OPC? reply
            // arrived once raced the server's read of the second line, and the *IDN? was answered (CI, 2026-12-03).
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (board.MessagesSinceFaultsSet < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the server decided {board.MessagesSinceFaultsSet} of 2 messages in 10 s");
                await Task.Delay(5);
            }

            // No sleep to wait for "nothing": the server answers in order, so a reply to the stalled *IDN? would have to
            // arrive before the reply to the *OPC? sent after the fault is cleared.
            board.Faults = BoardFaults.None;
            await socket.SendAsync("*OPC?\n"u8.ToArray());
            Assert.Equal("1\n"u8.ToArray(), await ReceiveAsync(socket, 2));
        }
    }

    [Fact]
    public async Task DelayFault_DelaysEveryReply()
    {
        var (board, tcp, chip) = await StartAsync();
        await using (tcp)
        using (board)
        await using (chip)
        {
            using var socket = await ConnectAsync(tcp);
            board.Faults = new BoardFaults { ReplyDelay = TimeSpan.FromMilliseconds(150) };
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await socket.SendAsync("*OPC?\n"u8.ToArray());
            Assert.Equal("1\n"u8.ToArray(), await ReceiveAsync(socket, 2));
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(140), $"replied after {watch.Elapsed.TotalMilliseconds} ms");
        }
    }
}

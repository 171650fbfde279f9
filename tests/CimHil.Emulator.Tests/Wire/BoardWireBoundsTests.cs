using System.Text;
using CimHil.Emulator.Wire;
using Serilog;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>
/// Bounded memory on the wire: the response to one message is capped (-430), an over-long message is discarded
/// unexecuted (-363), and the server keeps answering afterwards. Over real TCP sockets and over the pseudo-terminal.
/// </summary>
public sealed class BoardWireBoundsTests
{
    private const string Read8x8 = "BLK:READ? 0,0,8,8,0.2";

    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    private static async Task<(EmulatedChip Chip, BoardServer Board, BoardTcpServer Tcp, WireClient Client)> ServeAsync(BoardServerOptions? options = null)
    {
        var chip = new EmulatedChip(EmulatorSettings.Defaults);
        var board = new BoardServer(chip, Log, options);
        var tcp = new BoardTcpServer(board, Log);
        tcp.Start();
        return (chip, board, tcp, await WireClient.ConnectAsync(tcp.Port));
    }

    [Fact]
    public async Task EightThousandBlockReadsInOneMessage_AreCutAtTheReplyCap_AndTheNextMessageIsAnswered()
    {
        var (chip, board, tcp, client) = await ServeAsync();
        await using var _ = chip;
        await using var __ = tcp;
        using var ___ = board;
        using var ____ = client;

        // 192 KB of queries whose responses (~100 KB each in ASCII) would make a 735 MB reply.
        var message = string.Join(';', Enumerable.Repeat("BLK:READ? 0,0,64,64,0.2", 8000));
        Assert.Equal(191_999, message.Length);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await client.SendAsync(message + "\nSYST:ERR?\n*OPC?\n");

        var error = await client.ReadLineAsync(maxBytes: BoardServerOptions.DefaultMaxReplyBytes);
        Assert.Equal("1", await client.ReadLineAsync());

        Assert.StartsWith("-430,\"Query DEADLOCKED;the responses to this message exceed the 16777216-byte output queue at unit ", error, StringComparison.Ordinal);
        Assert.Equal(error.Length + 1 + 2, client.BytesReceived);

        // The reads stopped at the cap (about 160 of them), far from 8000; what the server allocated stayed near the cap,
        // not the gigabytes an unbounded reply takes (other tests running meanwhile are inside the margin).
        Assert.InRange(chip.ReadOperations, 100, 400);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 1L << 30, $"{allocated / (1 << 20)} MiB allocated while serving one capped message");
    }

    [Fact]
    public async Task ReplyCap_AResponseOfExactlyTheCapIsSent_OneUnitMoreDiscardsAllWithMinus430()
    {
        // "64,64" per ARR:GEOM?, joined by ';': 683 of them are 4097 bytes, exactly the cap; 684 are 4103.
        var (chip, board, tcp, client) = await ServeAsync(new BoardServerOptions { MaxReplyBytes = 4097 });
        await using var _ = chip;
        await using var __ = tcp;
        using var ___ = board;
        using var ____ = client;

        await client.SendAsync(string.Join(';', Enumerable.Repeat("ARR:GEOM?", 683)) + "\n");
        Assert.Equal(string.Join(';', Enumerable.Repeat("64,64", 683)), await client.ReadLineAsync(maxBytes: 4097));
        Assert.Equal(4097 + 1, client.BytesReceived);

        await client.SendAsync(string.Join(';', Enumerable.Repeat("ARR:GEOM?", 684)) + ";CELL:PROG 0,0,SET,1,1e-6\nSYST:ERR?\n*ESR?\n");
        var expected = "-430,\"Query DEADLOCKED;the responses to this message exceed the 4097-byte output queue at unit 684 (ARR:GEOM?); output discarded, the rest of the message not executed\"";
        Assert.Equal(expected, await client.ReadLineAsync(maxBytes: 4097));
        Assert.Equal("4", await client.ReadLineAsync()); // the query error bit of the event status register (IEEE 488.2 section 11.5.1.1.7)
        Assert.Equal(4097 + 1 + expected.Length + 1 + 2, client.BytesReceived);
        Assert.Equal(0, board.PulsesApplied); // the unit after the overflow was not executed
    }

    [Fact]
    public async Task ReplyCap_BinaryBlocks_TheOverflowingReadIsTheLastExecuted()
    {
        // An 8x8 REAL,64 block is "#3512" and 512 bytes: seven joined by ';' are 3625 bytes, eight are 4143.
        var (chip, board, tcp, client) = await ServeAsync(new BoardServerOptions { MaxReplyBytes = 4096 });
        await using var _ = chip;
        await using var __ = tcp;
        using var ___ = board;
        using var ____ = client;

        await client.SendAsync("FORM REAL,64\n" + string.Join(';', Enumerable.Repeat(Read8x8, 9)) + "\nSYST:ERR?\n");

        var expected = $"-430,\"Query DEADLOCKED;the responses to this message exceed the 4096-byte output queue at unit 8 ({Read8x8}); output discarded, the rest of the message not executed\"";
        Assert.Equal(expected, await client.ReadLineAsync(maxBytes: 4096));
        Assert.Equal(expected.Length + 1, client.BytesReceived); // not one byte of the blocks
        Assert.Equal(8, chip.ReadOperations);
    }

    [Fact]
    public async Task OverlongMessage_IsDiscardedUnexecutedWithMinus363_AndTheNextIsAnswered()
    {
        var (chip, board, tcp, client) = await ServeAsync(new BoardServerOptions { MaxMessageBytes = 1024 });
        await using var _ = chip;
        await using var __ = tcp;
        using var ___ = board;
        using var ____ = client;

        // 42 pulses in 1050 bytes, sent in one piece, so the whole line arrives in one read.
        var pulses = string.Join(';', Enumerable.Repeat("CELL:PROG 0,0,SET,1,1e-6", 42)) + ";";
        Assert.Equal(1050, pulses.Length);
        await client.SendAsync(pulses + "\n*OPC?\nSYST:ERR?\nSYST:ERR?\n");

        Assert.Equal("1", await client.ReadLineAsync());
        Assert.Equal("-363,\"Input buffer overrun;message longer than 1024 bytes, discarded unexecuted\"", await client.ReadLineAsync());
        Assert.Equal("0,\"No error\"", await client.ReadLineAsync());
        Assert.Equal((0L, 0L), (board.PulsesApplied, chip.TotalPulses));
    }

    [Fact]
    public async Task MessageOfExactlyTheCap_WithCrLf_IsExecuted()
    {
        var (chip, board, tcp, client) = await ServeAsync(new BoardServerOptions { MaxMessageBytes = 1024 });
        await using var _ = chip;
        await using var __ = tcp;
        using var ___ = board;
        using var ____ = client;
        var message = string.Join(';', Enumerable.Repeat("*OPC?", 170)) + new string(' ', 1024 - ((170 * 6) - 1));
        Assert.Equal(1024, message.Length);

        await client.SendAsync(message + "\r\nSYST:ERR?\n");

        Assert.Equal(string.Join(';', Enumerable.Repeat("1", 170)), await client.ReadLineAsync());
        Assert.Equal("0,\"No error\"", await client.ReadLineAsync());
    }

    [Fact]
    public async Task DefaultInputCap_AMessageOverOneMebibyteInManyReads_IsDiscardedAndTheServerAnswersOn()
    {
        var (chip, board, tcp, client) = await ServeAsync();
        await using var _ = chip;
        await using var __ = tcp;
        using var ___ = board;
        using var ____ = client;
        var message = new StringBuilder();
        while (message.Length <= BoardServerOptions.DefaultMaxMessageBytes)
        {
            message.Append("*OPC?;");
        }

        for (var i = 0; i < message.Length; i += 100_000)
        {
            await client.SendAsync(message.ToString(i, Math.Min(100_000, message.Length - i)));
        }

        await client.SendAsync("\n*IDN?\nSYST:ERR?\n");

        Assert.StartsWith("CimHil,", await client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal("-363,\"Input buffer overrun;message longer than 1048576 bytes, discarded unexecuted\"", await client.ReadLineAsync());
    }

    [Fact]
    public async Task ErrorText_OfAHugeUndefinedHeader_IsCutTo255Characters()
    {
        var (chip, board, tcp, client) = await ServeAsync();
        await using var _ = chip;
        await using var __ = tcp;
        using var ___ = board;
        using var ____ = client;

        await client.SendAsync(new string('X', 500_000) + "?\nSYST:ERR?\n");

        var error = await client.ReadLineAsync();
        Assert.Equal("-113,\"Undefined header;" + new string('X', 255 - 3 - "Undefined header;".Length) + "...\"", error);
    }

    [Fact]
    public async Task ReplyCap_HoldsOnThePseudoTerminalToo()
    {
        Assert.True(OperatingSystem.IsLinux(), "the pseudo-terminal server needs Linux");
        await using var chip = new EmulatedChip(EmulatorSettings.Defaults);
        using var board = new BoardServer(chip, Log, new BoardServerOptions { MaxReplyBytes = 4096, MaxMessageBytes = 1024 });
        await using var pty = new BoardPtyServer(board, Log);
        pty.Start();
        await using var line = new FileStream(pty.DevicePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);

        var eight = string.Join(';', Enumerable.Repeat(Read8x8, 8));
        var tooLong = new string(' ', 1100) + "*OPC?";
        await line.WriteAsync(Encoding.ASCII.GetBytes($"FORM REAL,64\n{eight}\nSYST:ERR?\n{tooLong}\nSYST:ERR?\n*OPC?\n"));
        await line.FlushAsync();

        var text = await ReadUntilAsync(line, "\n1\n", maxBytes: 4096);
        Assert.Equal(
            $"-430,\"Query DEADLOCKED;the responses to this message exceed the 4096-byte output queue at unit 8 ({Read8x8}); output discarded, the rest of the message not executed\"\n"
            + "-363,\"Input buffer overrun;message longer than 1024 bytes, discarded unexecuted\"\n1\n",
            text);
    }

    /// <summary>Reads the serial line until <paramref name="end"/> arrives; fails past <paramref name="maxBytes"/> or 30 s.</summary>
    private static async Task<string> ReadUntilAsync(Stream line, string end, int maxBytes)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!received.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            Assert.True(received.Length <= maxBytes, $"more than {maxBytes} bytes: {received}");
            var read = Task.Run(() => line.Read(buffer, 0, buffer.Length));
            var remaining = deadline - DateTime.UtcNow;
            Assert.True(remaining > TimeSpan.Zero && await Task.WhenAny(read, Task.Delay(remaining)) == read, $"timed out after: {received}");
            received.Append(Encoding.ASCII.GetString(buffer, 0, await read));
        }

        return received.ToString();
    }
}

using System.Text;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Serial;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The termios serial transport on real pseudo-terminals: the board's own pty, and a socat-made pty pair.</summary>
public sealed class SerialOverPtyTests
{
    [Fact]
    public async Task BoardPty_IdentifyAndBlockRead_OverTheSerialTransport()
    {
        var chip = new TestChip(6, 6);
        using var board = new BoardServer(chip, BoardFixture.Logger);
        await using var pty = new BoardPtyServer(board, BoardFixture.Logger);
        pty.Start();
        Assert.StartsWith("/dev/pts/", pty.DevicePath, StringComparison.Ordinal);

        var options = new TransportOptions { Config = BoardFixture.FastConfig, Serial = new SerialSettings { BaudRate = 115200 } };
        await using var session = await ScpiSession.OpenAsync(pty.ResourceString, options, BoardFixture.Logger, CancellationToken.None);
        Assert.IsType<SerialTransport>(session.Transport);
        Assert.Equal("Test chip", (await session.IdentifyAsync(CancellationToken.None)).Model);

        await session.ExecuteAsync("FORM REAL,64", CancellationToken.None);
        var values = BinaryBlock.DecodeDoubles(await session.QueryBlockAsync("BLK:READ? 0,0,6,6,0.25", CancellationToken.None));
        Assert.Equal(Enumerable.Range(0, 36).Select(i => TestChip.CurrentA(i / 6, i % 6, 0.25)), values);
    }

    [Fact]
    public async Task BoardPty_PulseWithDroppedReply_IsUncertainAndAppliedOnce()
    {
        using var board = new BoardServer(new TestChip(), BoardFixture.Logger);
        await using var pty = new BoardPtyServer(board, BoardFixture.Logger);
        pty.Start();
        var options = new TransportOptions { Config = BoardFixture.FastConfig };
        await using var session = await ScpiSession.OpenAsync(pty.ResourceString, options, BoardFixture.Logger, CancellationToken.None);
        board.Faults = new BoardFaults { DropAfterCommands = 1 };
        await Assert.ThrowsAsync<UncertainOutcomeException>(() => session.ExecuteNonIdempotentAsync("CELL:PROG 0,0,RES,1.5,1e-6", CancellationToken.None));
        Assert.Equal("1", await session.QueryAsync("SYST:PULS:COUN?", CancellationToken.None));
        Assert.Equal(1, board.PulsesApplied);
    }

    [Fact]
    public async Task SocatPtyPair_BytesPassUntouchedBothWays()
    {
        Assert.True(Socat.Available, "socat is required at /usr/bin/socat");
        var dir = Directory.CreateTempSubdirectory("cimhil-pty-");
        var a = Path.Combine(dir.FullName, "a");
        var b = Path.Combine(dir.FullName, "b");
        await using var socat = Socat.Start($"pty,raw,echo=0,link={a}", $"pty,raw,echo=0,link={b}");
        for (var i = 0; i < 100 && !(File.Exists(a) && File.Exists(b)); i++)
        {
            await Task.Delay(20);
        }

        var settings = new SerialSettings { BaudRate = 9600, DataBits = 8, Parity = SerialParity.None, StopBits = SerialStopBits.One };
        await using var left = new SerialTransport($"ASRL{a}::INSTR", a, settings, TimeSpan.FromSeconds(2));
        await using var right = new SerialTransport($"ASRL{b}::INSTR", b, settings, TimeSpan.FromSeconds(2));
        await left.OpenAsync(CancellationToken.None);
        await right.OpenAsync(CancellationToken.None);

        // CR, LF, XON/XOFF and 0xFF must survive: raw mode means no translation and no flow-control bytes eaten.
        byte[] payload = [.. "*IDN?\r\n"u8, 0x11, 0x13, 0xFF, 0x00, (byte)'\n'];
        await left.WriteAsync(payload, CancellationToken.None);
        Assert.Equal(payload, await right.ReadExactAsync(payload.Length, CancellationToken.None));

        await right.WriteAsync("reply\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("reply", Encoding.ASCII.GetString(await left.ReadUntilAsync((byte)'\n', 64, CancellationToken.None)));
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task SerialTransport_ReadWithNothingToRead_TimesOutClearly()
    {
        using var board = new BoardServer(new TestChip(), BoardFixture.Logger);
        await using var pty = new BoardPtyServer(board, BoardFixture.Logger);
        pty.Start();
        await using var port = new SerialTransport($"ASRL{pty.DevicePath}::INSTR", pty.DevicePath, SerialSettings.Default, TimeSpan.FromMilliseconds(150));
        await port.OpenAsync(CancellationToken.None);
        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(async () => await port.ReadUntilAsync((byte)'\n', 64, CancellationToken.None));
        Assert.Contains(pty.DevicePath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SerialTransport_MissingDevice_FailsNamingThePath()
    {
        await using var port = new SerialTransport("ASRL/dev/does-not-exist::INSTR", "/dev/does-not-exist", SerialSettings.Default, TimeSpan.FromSeconds(1));
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(async () => await port.OpenAsync(CancellationToken.None));
        Assert.Contains("/dev/does-not-exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SerialSettings_InvalidDataBits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SerialSettings { DataBits = 9 }.Validate());
    }
}

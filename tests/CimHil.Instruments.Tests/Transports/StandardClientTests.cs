using CimHil.Emulator.Wire;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The board answers a client that is not ours (socat, as a terminal program or a raw-socket VISA would).</summary>
public sealed class StandardClientTests
{
    [Fact]
    public async Task Socat_OverTcp_GetsNewlineTerminatedReplies()
    {
        Assert.True(Socat.Available, "socat is required at /usr/bin/socat");
        await using var board = BoardFixture.Start(rows: 3, columns: 4);
        var output = await Socat.RunAsync(
            "*IDN?\nARR:GEOM?;*OPC?\nSYST:ERR?\nFOO:BAR\nSYSTEM:ERROR:NEXT?\n",
            expectedLines: 4,
            TimeSpan.FromSeconds(10),
            "-t", "1", "-", $"TCP:127.0.0.1:{board.Tcp.Port}");
        Assert.Equal(
            "CimHil,Test chip,T-0001,test-1\n3,4;1\n0,\"No error\"\n-113,\"Undefined header;FOO:BAR\"\n",
            output);
    }

    [Fact]
    public async Task Socat_OverThePty_GetsReplies()
    {
        Assert.True(Socat.Available, "socat is required at /usr/bin/socat");
        var chip = new TestChip(2, 2);
        using var server = new BoardServer(chip, BoardFixture.Logger);
        await using var pty = new BoardPtyServer(server, BoardFixture.Logger);
        pty.Start();
        var output = await Socat.RunAsync("*IDN?\r\nCELL:READ? 1,1,0.25\r\n", expectedLines: 2, TimeSpan.FromSeconds(10), "-t", "1", "-", $"{pty.DevicePath},raw,echo=0");
        Assert.Equal($"CimHil,Test chip,T-0001,test-1\n{TestChip.CurrentA(1, 1, 0.25).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\n", output);
    }
}

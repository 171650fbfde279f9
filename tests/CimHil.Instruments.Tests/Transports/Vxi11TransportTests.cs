using CimHil.Core.Config;
using CimHil.Core.OncRpc;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Vxi11;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>CimHil's VXI-11 client against the emulator's server: what the shared board suites do not cover.</summary>
public sealed class Vxi11TransportTests
{
    [Fact]
    public async Task LongMessage_IsSentInMaxRecvSizeChunks_AndAnsweredWhole()
    {
        await using var board = BoardFixture.Start();
        await using var transport = await OpenAsync(board);
        const int units = 11_000; // "*OPC?" and 10 999 ";*OPC?": 65 999 bytes, more than the server's 65 536-byte maxRecvSize
        var message = "*OPC?" + string.Concat(Enumerable.Repeat(";*OPC?", units - 1)) + "\n";
        await transport.WriteAsync(System.Text.Encoding.ASCII.GetBytes(message), CancellationToken.None);
        var reply = await transport.ReadUntilAsync((byte)'\n', 1024 * 1024, CancellationToken.None);
        Assert.Equal(string.Join(';', Enumerable.Repeat("1", units)), System.Text.Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public async Task NoPortmapper_OpenFailsNamingThePortmapper()
    {
        var resource = (TcpInstrResource)VisaResource.Parse("TCPIP::127.0.0.1::inst0::INSTR");
        await using var transport = new Vxi11Transport(resource, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), portmapperPort: FreePort());
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(async () => await transport.OpenAsync(CancellationToken.None));
        Assert.StartsWith("TCPIP0::127.0.0.1::inst0::INSTR: asking the portmapper at 127.0.0.1:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownDevice_CreateLinkFailsWithInvalidAddress()
    {
        await using var board = BoardFixture.Start();
        var resource = (TcpInstrResource)VisaResource.Parse("TCPIP::127.0.0.1::gpib0,5::INSTR");
        await using var transport = new Vxi11Transport(resource, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), board.Vxi11.PortmapperPort);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(async () => await transport.OpenAsync(CancellationToken.None));
        Assert.Equal("TCPIP0::127.0.0.1::gpib0,5::INSTR: create_link to 'gpib0,5' failed: invalid address (VXI-11 error 21)", ex.Message);
    }

    [Fact]
    public async Task Lock_HeldByOneLink_RefusesAnotherLinksWrite_UntilUnlocked()
    {
        await using var board = BoardFixture.Start();
        await using var first = await OpenAsync(board);
        await using var second = await OpenAsync(board);
        await first.LockAsync(TimeSpan.Zero, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(async () => await second.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None));
        Assert.EndsWith("device_write failed: device locked by another link (VXI-11 error 11)", ex.Message, StringComparison.Ordinal);
        await first.UnlockAsync(CancellationToken.None);
        await second.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("CimHil,Test chip,T-0001,test-1"u8.ToArray(), await second.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));
    }

    [Fact]
    public async Task PortmapperPortFromHilConfig_ReachesTheEmulatorsPortmapper()
    {
        await using var board = BoardFixture.Start(wire: BoardWire.Vxi11);
        var config = HilConfigFile.LoadWithTransport($$"""{"visa": "never", "vxi11PortmapperPort": {{board.Vxi11.PortmapperPort}}}""");
        var options = TransportOptions.FromConfig(config.Transport);
        Assert.Equal(board.Vxi11.PortmapperPort, options.Vxi11PortmapperPort);

        await using var session = await ScpiSession.OpenAsync(board.Vxi11.ResourceString, options, BoardFixture.Logger, CancellationToken.None);
        Assert.Equal("CimHil,Test chip,T-0001,test-1", await session.QueryAsync("*IDN?", CancellationToken.None));
        Assert.Equal(Vxi11Wire.PortmapperPort, HilConfigFile.LoadWithTransport("{}").Transport.Vxi11PortmapperPort);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("\"111\"")]
    public void PortmapperPortFromHilConfig_OutOfRange_NamesThePathAndTheValue(string value)
    {
        var ex = Assert.Throws<ConfigException>(() => HilConfigFile.LoadWithTransport($$"""{"vxi11PortmapperPort": {{value}}}"""));
        Assert.Equal("transport.vxi11PortmapperPort", ex.JsonPath);
        Assert.Contains(value.Trim('"'), ex.Message, StringComparison.Ordinal);
    }

    private static async Task<Vxi11Transport> OpenAsync(BoardFixture board)
    {
        var transport = new Vxi11Transport((TcpInstrResource)VisaResource.Parse(board.Vxi11.ResourceString), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), board.Vxi11.PortmapperPort);
        await transport.OpenAsync(CancellationToken.None);
        return transport;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

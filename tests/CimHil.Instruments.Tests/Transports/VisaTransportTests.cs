using System.Runtime.InteropServices;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Visa;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The VISA P/Invoke path against the gcc-built stand-in library, which forwards to the board over TCP.</summary>
public sealed partial class VisaTransportTests
{
    private static TransportOptions ViaVisa(CimHil.Core.Config.TransportConfig? config = null) =>
        new() { Config = config ?? BoardFixture.FastConfig, Visa = VisaPreference.Always };

    [Fact]
    public async Task Identify_ThroughTheVisaLibrary()
    {
        VisaStandIn.EnsureLoaded();
        await using var board = BoardFixture.Start();
        await using var session = await ScpiSession.OpenAsync(board.Tcp.ResourceString, ViaVisa(), BoardFixture.Logger, CancellationToken.None);
        Assert.IsType<VisaTransport>(session.Transport);
        Assert.Equal("T-0001", (await session.IdentifyAsync(CancellationToken.None)).SerialNumber);
        Assert.EndsWith("libvisa_standin.so", VisaLibrary.LoadedFrom, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlockRead_WithLfBytesInPayload_ReadsByCount()
    {
        VisaStandIn.EnsureLoaded();
        await using var board = BoardFixture.Start(rows: 32, columns: 32);
        await using var session = await ScpiSession.OpenAsync(board.Tcp.ResourceString, ViaVisa(), BoardFixture.Logger, CancellationToken.None);
        await session.ExecuteAsync("FORM REAL,64", CancellationToken.None);
        var payload = await session.QueryBlockAsync("BLK:READ? 0,0,32,32,0.1", CancellationToken.None);
        Assert.Contains((byte)'\n', payload);
        var values = BinaryBlock.DecodeDoubles(payload);
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => TestChip.CurrentA(i / 32, i % 32, 0.1)), values);
    }

    [Fact]
    public async Task Stall_MapsViErrorTmoToInstrumentTimeout()
    {
        VisaStandIn.EnsureLoaded();
        await using var board = BoardFixture.Start();
        await using var session = await ScpiSession.OpenAsync(board.Tcp.ResourceString, ViaVisa(BoardFixture.ShortTimeout with { Retries = 1 }), BoardFixture.Logger, CancellationToken.None);
        board.Board.Faults = new BoardFaults { StallAfterCommands = 0 };
        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(() => session.QueryAsync("*IDN?", CancellationToken.None));
        Assert.Contains("*IDN?", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DroppedLink_ViErrorConnLost_ReopensAndRecovers()
    {
        VisaStandIn.EnsureLoaded();
        await using var board = BoardFixture.Start();
        await using var session = await ScpiSession.OpenAsync(board.Tcp.ResourceString, ViaVisa(), BoardFixture.Logger, CancellationToken.None);
        board.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
        Assert.Equal("8,8", await session.QueryAsync("ARR:GEOM?", CancellationToken.None));
        await Assert.ThrowsAsync<UncertainOutcomeException>(async () =>
        {
            board.Board.Faults = new BoardFaults { DropAfterCommands = 1 };
            await session.ExecuteNonIdempotentAsync("CELL:PROG 0,1,SET,1,1e-6", CancellationToken.None);
        });
        Assert.Equal(1, board.Board.PulsesApplied);
    }

    [Fact]
    public async Task UnknownResource_ReportsTheVisaStatusText()
    {
        VisaStandIn.EnsureLoaded();
        var transport = new VisaTransport(VisaResource.Parse("GPIB0::22::INSTR"), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(async () => await transport.OpenAsync(CancellationToken.None));
        Assert.Contains("VI_ERROR_RSRC_NFOUND", ex.Message, StringComparison.Ordinal);
        Assert.Contains("GPIB0::22::INSTR", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindResources_ListsWhatTheLibraryFinds()
    {
        VisaStandIn.EnsureLoaded();

        // The stand-in reads the native environment, which Environment.SetEnvironmentVariable does not touch on Unix.
        Assert.Equal(0, SetEnv("CIMHIL_VISA_STANDIN_RESOURCES", "TCPIP0::10.0.0.1::5025::SOCKET;GPIB0::22::INSTR;USB0::0x2A8D::0x0101::MY1::INSTR", 1));
        Assert.Equal(["GPIB0::22::INSTR", "USB0::0x2A8D::0x0101::MY1::INSTR"], VisaLibrary.FindResources("?*::INSTR"));
        Assert.Equal(["TCPIP0::10.0.0.1::5025::SOCKET"], VisaLibrary.FindResources("TCPIP?*"));
        Assert.Empty(VisaLibrary.FindResources("ASRL?*"));
    }

    [Fact]
    public void Factory_RoutesGpibAndUsbToVisa_AndSocketsToTcp()
    {
        var options = TransportOptions.Default;
        Assert.IsType<VisaTransport>(TransportFactory.Create(VisaResource.Parse("GPIB0::1::INSTR"), options));
        Assert.IsType<VisaTransport>(TransportFactory.Create(VisaResource.Parse("USB0::1::2::S::INSTR"), options));
        Assert.IsType<VisaTransport>(TransportFactory.Create(VisaResource.Parse("TCPIP0::h::hislip0::INSTR"), options));

        // VXI-11 goes through the installed VISA (here the stand-in) unless the configuration prefers the built-in client.
        Assert.IsType<VisaTransport>(TransportFactory.Create(VisaResource.Parse("TCPIP0::h::inst0::INSTR"), options));
        Assert.IsType<CimHil.Instruments.Transports.Vxi11.Vxi11Transport>(TransportFactory.Create(VisaResource.Parse("TCPIP0::h::inst0::INSTR"), options with { Visa = VisaPreference.Never }));
        Assert.IsType<TcpSocketTransport>(TransportFactory.Create(VisaResource.Parse("TCPIP0::h::5025::SOCKET"), options));
        Assert.IsType<CimHil.Instruments.Transports.Serial.SerialTransport>(TransportFactory.Create(VisaResource.Parse("ASRL1::INSTR"), options));
        var ex = Assert.Throws<TransportUnavailableException>(() => TransportFactory.Create(VisaResource.Parse("GPIB0::1::INSTR"), options with { Visa = VisaPreference.Never }));
        Assert.Contains("GPIB0::1::INSTR: no transport can reach a GPIB resource: built-in transports tried: socket, serial, VXI-11, HiSLIP", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the vendor VISA was not tried (transport.visa is never)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("install a vendor VISA with a GPIB driver", ex.Message, StringComparison.Ordinal);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}

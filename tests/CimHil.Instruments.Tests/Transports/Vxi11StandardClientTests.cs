using CimHil.Instruments.Resources;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Vxi11;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The emulator's VXI-11 server answers a client nobody here wrote (pyvisa-py), and the factory routes INSTR to CimHil's client.</summary>
public sealed class Vxi11StandardClientTests
{
    /// <summary>
    /// pyvisa-py always asks the portmapper on port 111 (its rpc.PMAP_PORT). The test's portmapper is on an ephemeral
    /// port (111 needs root and may be taken by rpcbind), so the script points that one constant at it; everything
    /// else is pyvisa-py's own VXI-11 code.
    /// </summary>
    private const string Script = """
        import sys
        import pyvisa_py.protocols.rpc as rpc
        rpc.PMAP_PORT = int(sys.argv[1])
        import pyvisa
        rm = pyvisa.ResourceManager('@py')
        inst = rm.open_resource(sys.argv[2])
        inst.timeout = 5000
        print(repr(inst.query('*IDN?')))
        inst.write('FOO:BAR')
        print(repr(inst.query('SYST:ERR?')))
        print(repr(inst.query('SYST:ERR?')))
        inst.close()
        """;

    [Fact]
    public async Task PyVisaPy_ReadsIdn_AndAProvokedError()
    {
        Assert.True(PyVisaPy.Available, "python3-pyvisa-py is required (scripts/setup.sh installs it)");
        await using var board = BoardFixture.Start(rows: 3, columns: 4);
        var output = await PyVisaPy.RunAsync(Script, TimeSpan.FromSeconds(60), board.Vxi11.PortmapperPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "TCPIP::127.0.0.1::inst0::INSTR");
        Assert.Equal(
            "'CimHil,Test chip,T-0001,test-1\\n'\n'-113,\"Undefined header;FOO:BAR\"\\n'\n'0,\"No error\"\\n'\n",
            output);
        Assert.Equal(0, board.Board.PulsesApplied);
    }

    [Fact]
    public void Factory_LanInstrWithVisaNever_IsCimHilsVxi11Client()
    {
        var transport = TransportFactory.Create(VisaResource.Parse("TCPIP::127.0.0.1::INSTR"), new TransportOptions { Visa = VisaPreference.Never });
        Assert.IsType<Vxi11Transport>(transport);
    }

    [Fact]
    public void Factory_HiSlipWithVisaNever_SaysWhatWasTriedAndWhatToInstall()
    {
        var ex = Assert.Throws<InstrumentException>(() => TransportFactory.Create(VisaResource.Parse("TCPIP::10.0.0.5::hislip0::INSTR"), new TransportOptions { Visa = VisaPreference.Never }));
        Assert.Equal(
            "TCPIP0::10.0.0.5::hislip0::INSTR: no built-in transport serves Tcpip HiSLIP (tried: socket, serial, VXI-11) and VISA is disabled (visa: Never); install a VISA library (NI-VISA, Keysight IO Libraries, R&S VISA) and allow it (visa: Auto or Always)",
            ex.Message);
    }

    [Fact]
    public async Task NoPortmapper_OpenFailsNamingThePortmapper()
    {
        var resource = (TcpInstrResource)VisaResource.Parse("TCPIP::127.0.0.1::inst0::INSTR");
        await using var transport = new Vxi11Transport(resource, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), portmapperPort: FreePort());
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(() => transport.OpenAsync(CancellationToken.None));
        Assert.StartsWith("TCPIP0::127.0.0.1::inst0::INSTR: asking the portmapper at 127.0.0.1:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownDevice_CreateLinkFailsWithInvalidAddress()
    {
        await using var board = BoardFixture.Start();
        var resource = (TcpInstrResource)VisaResource.Parse("TCPIP::127.0.0.1::gpib0,5::INSTR");
        await using var transport = new Vxi11Transport(resource, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), board.Vxi11.PortmapperPort);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(() => transport.OpenAsync(CancellationToken.None));
        Assert.Equal("TCPIP0::127.0.0.1::gpib0,5::INSTR: create_link to 'gpib0,5' failed: invalid address (VXI-11 error 21)", ex.Message);
    }

    [Fact]
    public async Task Lock_HeldByOneLink_RefusesAnotherLinksWrite_UntilUnlocked()
    {
        await using var board = BoardFixture.Start();
        var resource = (TcpInstrResource)VisaResource.Parse(board.Vxi11.ResourceString);
        await using var first = new Vxi11Transport(resource, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), board.Vxi11.PortmapperPort);
        await using var second = new Vxi11Transport(resource, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), board.Vxi11.PortmapperPort);
        await first.OpenAsync(CancellationToken.None);
        await second.OpenAsync(CancellationToken.None);
        await first.LockAsync(TimeSpan.Zero, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(() => second.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None));
        Assert.EndsWith("device_write failed: device locked by another link (VXI-11 error 11)", ex.Message, StringComparison.Ordinal);
        await first.UnlockAsync(CancellationToken.None);
        await second.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("CimHil,Test chip,T-0001,test-1"u8.ToArray(), await second.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

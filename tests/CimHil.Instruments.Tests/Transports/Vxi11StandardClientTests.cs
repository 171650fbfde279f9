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
    public void Factory_HiSlipWithVisaNever_IsCimHilsHiSlipClient()
    {
        var transport = TransportFactory.Create(VisaResource.Parse("TCPIP::10.0.0.5::hislip0::INSTR"), new TransportOptions { Visa = VisaPreference.Never });
        Assert.IsType<CimHil.Instruments.Transports.HiSlip.HiSlipTransport>(transport);
    }
}

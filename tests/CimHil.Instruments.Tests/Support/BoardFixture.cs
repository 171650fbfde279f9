using CimHil.Core.Config;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Instruments.Tests.Support;

/// <summary>Which wire a fixture's sessions use to reach the board.</summary>
public enum BoardWire
{
    /// <summary>A raw TCP socket (<c>::SOCKET</c>).</summary>
    Socket,

    /// <summary>VXI-11 (<c>::inst0::INSTR</c>) through CimHil's own client, the portmapper on an ephemeral port.</summary>
    Vxi11,

    /// <summary>HiSLIP (<c>::hislip0,port::INSTR</c>) through CimHil's own client, on an ephemeral port.</summary>
    HiSlip,
}

/// <summary>A board server on real loopback TCP ports (raw socket, VXI-11 and HiSLIP) over a <see cref="TestChip"/>, and sessions connected to it.</summary>
internal sealed class BoardFixture : IAsyncDisposable
{
    private readonly BoardWire _wire;

    private BoardFixture(TestChip chip, BoardServer board, BoardTcpServer tcp, Vxi11BoardServer vxi11, HiSlipBoardServer hiSlip, BoardWire wire)
    {
        HiSlip = hiSlip;
        Chip = chip;
        Board = board;
        Tcp = tcp;
        Vxi11 = vxi11;
        _wire = wire;
    }

    public TestChip Chip { get; }

    public BoardServer Board { get; }

    public BoardTcpServer Tcp { get; }

    public Vxi11BoardServer Vxi11 { get; }

    public HiSlipBoardServer HiSlip { get; }

    /// <summary>What a session opens: the socket, VXI-11 or HiSLIP resource.</summary>
    public string ResourceString => _wire switch
    {
        BoardWire.Vxi11 => Vxi11.ResourceString,
        BoardWire.HiSlip => HiSlip.ResourceString,
        _ => Tcp.ResourceString,
    };

    public static ILogger Logger { get; } = new LoggerConfiguration().MinimumLevel.Verbose().CreateLogger();

    /// <summary>Short retry delays; a 1 s timeout that a loaded CI machine never hits by accident.</summary>
    public static TransportConfig FastConfig { get; } = TransportConfig.Default with
    {
        TimeoutSeconds = 1.0,
        ConnectTimeoutSeconds = 1,
        Retries = 3,
        RetryBaseDelaySeconds = 0.005,
        RetryMaxDelaySeconds = 0.02,
        BreakerMinimumThroughput = 4,
        BreakerFailureRatio = 0.8,
        BreakerSamplingSeconds = 10,
        BreakerBreakSeconds = 30,
    };

    /// <summary>For tests that expect a timeout: 0.25 s so they stay fast.</summary>
    public static TransportConfig ShortTimeout { get; } = FastConfig with { TimeoutSeconds = 0.25 };

    /// <summary>Starts the board on all three wires; <paramref name="wire"/> is the one <see cref="ConnectAsync"/> uses.</summary>
    public static BoardFixture Start(int rows = 8, int columns = 8, BoardWire wire = BoardWire.Socket)
    {
        var chip = new TestChip(rows, columns);
        var board = new BoardServer(chip, Logger);
        var tcp = new BoardTcpServer(board, Logger);
        tcp.Start();
        var vxi11 = new Vxi11BoardServer(board, Logger, portmapperPort: 0);
        vxi11.Start();
        var hiSlip = new HiSlipBoardServer(board, Logger, port: 0);
        hiSlip.Start();
        return new BoardFixture(chip, board, tcp, vxi11, hiSlip, wire);
    }

    /// <summary>Options reaching this fixture's wire: VISA off (so VXI-11 and HiSLIP are CimHil's own clients) and its portmapper's port.</summary>
    public TransportOptions Options(TransportConfig? config = null) =>
        new() { Config = config ?? FastConfig, Visa = VisaPreference.Never, Vxi11PortmapperPort = Vxi11.PortmapperPort };

    public Task<ScpiSession> ConnectAsync(TransportConfig? config = null) =>
        ScpiSession.OpenAsync(ResourceString, Options(config), Logger, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await HiSlip.DisposeAsync();
        await Vxi11.DisposeAsync();
        await Tcp.DisposeAsync();
        Board.Dispose();
    }
}

using System.Net;
using CimHil.Emulator.Wire.Vxi11;
using Serilog;

namespace CimHil.Emulator.Wire;

/// <summary>
/// Serves a <see cref="BoardServer"/> over VXI-11 (VISA <c>TCPIP::host::inst0::INSTR</c>): a portmapper and the core
/// channel, with the board's limits and fault injection applied per link. Real clients find the portmapper on port 111
/// (RFC 1833); tests pass port 0 and tell their client the chosen <see cref="PortmapperPort"/>.
/// </summary>
public sealed class Vxi11BoardServer : IAsyncDisposable
{
    private readonly TcpClientHost _core;
    private readonly PortmapperServer _portmapper;
    private int _nextLinkId;

    /// <summary>Listens on <paramref name="address"/>: the core channel on <paramref name="port"/>, the portmapper on <paramref name="portmapperPort"/> (0: free ports).</summary>
    public Vxi11BoardServer(BoardServer board, ILogger logger, IPAddress? address = null, int port = 0, int portmapperPort = CimHil.Core.OncRpc.Vxi11Wire.PortmapperPort)
    {
        var deviceLock = new Vxi11DeviceLock();
        _core = new TcpClientHost(
            address, port,
            (stream, peer, ct) => new Vxi11CoreChannel(board, deviceLock, () => Interlocked.Increment(ref _nextLinkId), logger, peer).ServeAsync(stream, ct),
            logger, "VXI-11 core channel");
        _portmapper = new PortmapperServer(address, portmapperPort, () => _core.Port, logger);
    }

    /// <summary>The core channel's port (what the portmapper answers).</summary>
    public int Port => _core.Port;

    public int PortmapperPort => _portmapper.Port;

    /// <summary>The VISA resource string clients open (the portmapper must be on 111 for clients that cannot be told otherwise).</summary>
    public string ResourceString => $"TCPIP0::{(_core.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : _core.Address)}::inst0::INSTR";

    /// <summary>Open core-channel connections (for tests that check a dropped link was really closed).</summary>
    public int ConnectionCount => _core.ConnectionCount;

    /// <summary>Starts both listeners; the portmapper last, so it never names a port nobody listens on.</summary>
    public void Start()
    {
        _core.Start();
        _portmapper.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _portmapper.DisposeAsync().ConfigureAwait(false);
        await _core.DisposeAsync().ConfigureAwait(false);
    }
}

using System.Net;
using Serilog;

namespace CimHil.Emulator.Wire;

/// <summary>Serves a <see cref="BoardServer"/> on a TCP port (raw socket, VISA <c>TCPIP0::host::port::SOCKET</c>); any number of clients.</summary>
public sealed class BoardTcpServer : IAsyncDisposable
{
    private readonly TcpClientHost _host;

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/>; port 0 picks a free one (see <see cref="Port"/>).</summary>
    public BoardTcpServer(BoardServer board, ILogger logger, IPAddress? address = null, int port = 0) =>
        _host = new TcpClientHost(address, port, (stream, peer, ct) => board.ServeAsync(stream, canDrop: true, peer, ct), logger, "Board");

    /// <summary>The port listened on (the chosen one when 0 was asked for).</summary>
    public int Port => _host.Port;

    /// <summary>The address listened on.</summary>
    public IPAddress Address => _host.Address;

    /// <summary>The VISA resource string clients open.</summary>
    public string ResourceString => _host.ResourceString;

    /// <summary>Open connections (for tests that check a dropped link was really closed).</summary>
    public int ConnectionCount => _host.ConnectionCount;

    /// <summary>Starts listening and accepting clients in the background.</summary>
    public void Start() => _host.Start();

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}

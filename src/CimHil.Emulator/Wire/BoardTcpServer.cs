using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Serilog;

namespace CimHil.Emulator.Wire;

/// <summary>Serves a <see cref="BoardServer"/> on a TCP port (raw socket, VISA <c>TCPIP0::host::port::SOCKET</c>); any number of clients.</summary>
public sealed class BoardTcpServer : IAsyncDisposable
{
    private readonly BoardServer _board;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, Task Serving)> _clients = new();
    private Task? _acceptLoop;
    private int _nextId;

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/>; port 0 picks a free one (see <see cref="Port"/>).</summary>
    public BoardTcpServer(BoardServer board, ILogger logger, IPAddress? address = null, int port = 0)
    {
        _board = board;
        _logger = logger;
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
    }

    /// <summary>The port listened on (the chosen one when 0 was asked for).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The address listened on.</summary>
    public IPAddress Address => ((IPEndPoint)_listener.LocalEndpoint).Address;

    /// <summary>The VISA resource string clients open.</summary>
    public string ResourceString => $"TCPIP0::{(Address.Equals(IPAddress.Any) ? IPAddress.Loopback : Address)}::{Port}::SOCKET";

    /// <summary>Open connections (for tests that check a dropped link was really closed).</summary>
    public int ConnectionCount => _clients.Count;

    /// <summary>Starts listening and accepting clients in the background.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stop.Token);
        _logger.Information("Board listening on {Resource}", ResourceString);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        foreach (var (client, serving) in _clients.Values)
        {
            client.Dispose();
            await serving.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextId);
            _clients[id] = (client, Task.CompletedTask);
            var serving = ServeClientAsync(id, client, cancellationToken);
            _clients.TryUpdate(id, (client, serving), (client, Task.CompletedTask));
        }
    }

    private async Task ServeClientAsync(int id, TcpClient client, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var peer = client.Client.RemoteEndPoint?.ToString() ?? $"client {id}";
        try
        {
            await using var stream = client.GetStream();
            await _board.ServeAsync(stream, canDrop: true, peer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or IOException)
        {
            _logger.Debug("Board TCP client {Peer} ended: {Error}", peer, ex.Message);
        }
        finally
        {
            client.Dispose();
            _clients.TryRemove(id, out _);
        }
    }
}

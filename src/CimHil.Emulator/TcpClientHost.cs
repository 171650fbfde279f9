using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Serilog;

namespace CimHil.Emulator;

/// <summary>
/// Accepts TCP clients and serves each on its own task until it disconnects or the host is disposed: the raw-socket
/// side shared by the board server and the emulated bench instruments.
/// </summary>
internal sealed class TcpClientHost : IAsyncDisposable
{
    private readonly Func<Stream, string, CancellationToken, Task> _serve;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, Task Serving)> _clients = new();
    private Task? _acceptLoop;
    private int _nextId;

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/> (port 0 picks a free one); <paramref name="serve"/> handles one client's stream.</summary>
    public TcpClientHost(IPAddress? address, int port, Func<Stream, string, CancellationToken, Task> serve, ILogger logger, string name)
    {
        _serve = serve;
        _logger = logger;
        _name = name;
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IPAddress Address => ((IPEndPoint)_listener.LocalEndpoint).Address;

    /// <summary>The VISA resource string clients open; a wildcard listener is reached on loopback.</summary>
    public string ResourceString => $"TCPIP0::{(Address.Equals(IPAddress.Any) ? IPAddress.Loopback : Address)}::{Port}::SOCKET";

    public int ConnectionCount => _clients.Count;

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stop.Token);
        _logger.Information("{Server} listening on {Resource}", _name, ResourceString);
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

            // Registered before serving starts, so a client that ends at once still finds its entry to remove.
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
            await _serve(stream, peer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            _logger.Debug("{Server} client {Peer} ended: {Error}", _name, peer, ex.Message);
        }
        finally
        {
            client.Dispose();
            _clients.TryRemove(id, out _);
        }
    }
}

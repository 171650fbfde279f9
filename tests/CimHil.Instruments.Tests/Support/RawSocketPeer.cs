using System.Net;
using System.Net.Sockets;
using System.Text;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// The instrument's end of a real loopback TCP connection, driven by the test itself with blocking calls: it answers
/// when the test says so, stalls when it does not, and allocates nothing while it does (buffers are kept), so what a
/// <see cref="TcpSocketTransport"/> on the other end costs is the transport's own.
/// </summary>
internal sealed class RawSocketPeer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly byte[] _scratch = new byte[4096];
    private Socket? _socket;

    public RawSocketPeer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
    }

    /// <summary>A resource string that reaches this peer.</summary>
    public TcpSocketResource Resource => new() { Original = "peer", Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndpoint).Port };

    /// <summary>A transport with <paramref name="timeout"/> on each read and write, opened and accepted.</summary>
    public async Task<TcpSocketTransport> ConnectAsync(TimeSpan timeout)
    {
        var transport = new TcpSocketTransport(Resource, timeout, TimeSpan.FromSeconds(10));
        await AcceptAsync(transport.OpenAsync(CancellationToken.None)).ConfigureAwait(false);
        return transport;
    }

    /// <summary>Accepts the connection that <paramref name="opening"/> makes (a first open or a re-open), replacing the previous one.</summary>
    public async Task AcceptAsync(ValueTask opening)
    {
        var accepted = _listener.AcceptSocketAsync();
        await opening.ConfigureAwait(false);
        _socket?.Dispose();
        _socket = await accepted.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _socket.NoDelay = true;
        _socket.ReceiveTimeout = 10_000;
    }

    /// <summary>Blocks until exactly <paramref name="count"/> bytes arrived and returns them as ASCII.</summary>
    public string Receive(int count)
    {
        Skip(count);
        return Encoding.ASCII.GetString(_scratch, 0, count);
    }

    /// <summary>Blocks until exactly <paramref name="count"/> bytes arrived (at most 4096), allocating nothing.</summary>
    public void Skip(int count)
    {
        var got = 0;
        while (got < count)
        {
            var n = _socket!.Receive(_scratch, got, count - got, SocketFlags.None);
            Assert.True(n > 0, "the transport closed the connection");
            got += n;
        }
    }

    /// <summary>Sends <paramref name="bytes"/> at once (blocking).</summary>
    public void Send(ReadOnlySpan<byte> bytes) => _socket!.Send(bytes, SocketFlags.None);

    /// <summary>Aborts the connection with a TCP reset (linger 0), as a crashed instrument or a pulled cable through a switch may.</summary>
    public void Reset()
    {
        _socket!.LingerState = new LingerOption(true, 0);
        _socket.Close();
        _socket = null;
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _listener.Stop();
        _listener.Dispose();
    }
}

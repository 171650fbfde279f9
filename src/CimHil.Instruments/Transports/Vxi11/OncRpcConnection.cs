using System.Net.Sockets;
using CimHil.Core.OncRpc;

namespace CimHil.Instruments.Transports.Vxi11;

/// <summary>
/// One ONC RPC client connection over TCP (RFC 1831): calls go out one at a time, each waits for the reply with its
/// transaction id. Throws <see cref="SocketException"/>, <see cref="IOException"/>, <see cref="RpcException"/> or
/// <see cref="XdrFormatException"/>; the transport decides what those mean for the link.
/// </summary>
internal sealed class OncRpcConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly int _maxReplyBytes;
    private uint _xid = (uint)Random.Shared.Next();

    private OncRpcConnection(Socket socket, int maxReplyBytes)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _maxReplyBytes = maxReplyBytes;
    }

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/>; <paramref name="maxReplyBytes"/> bounds one reply record.</summary>
    public static async Task<OncRpcConnection> ConnectAsync(string host, int port, int maxReplyBytes, CancellationToken cancellationToken)
    {
        // NoDelay: every call is a small record awaited before the next, so Nagle's algorithm would only add latency.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new OncRpcConnection(socket, maxReplyBytes);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one call and returns a reader positioned at its results.</summary>
    public async Task<XdrReader> CallAsync(uint program, uint version, uint procedure, Action<XdrWriter> arguments, CancellationToken cancellationToken)
    {
        var xid = unchecked(++_xid);
        var call = RpcMessage.WriteCall(xid, program, version, procedure);
        arguments(call);
        await RecordMarking.WriteAsync(_stream, call.ToArray(), cancellationToken).ConfigureAwait(false);
        var record = await RecordMarking.ReadAsync(_stream, _maxReplyBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new EndOfStreamException("the server closed the connection before replying");
        var reader = new XdrReader(record);
        RpcMessage.ReadReply(reader, xid);
        return reader;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}

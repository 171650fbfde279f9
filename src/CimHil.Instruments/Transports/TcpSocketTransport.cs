using System.Net.Sockets;
using System.Runtime.CompilerServices;
using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Transports;

/// <summary>Raw TCP socket (VISA <c>::SOCKET</c>): SCPI over a stream, e.g. port 5025 (IEC 61158/LXI convention).</summary>
public sealed class TcpSocketTransport : BufferedTransport
{
    private readonly TcpSocketResource _resource;
    private readonly TimeSpan _connectTimeout;
    private Socket? _socket;
    private volatile bool _open;

    public TcpSocketTransport(TcpSocketResource resource, TimeSpan timeout, TimeSpan connectTimeout)
        : base(resource.Canonical, timeout)
    {
        _resource = resource;
        _connectTimeout = connectTimeout;
    }

    public override bool IsOpen => _open;

    protected override async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        // NoDelay: SCPI messages are small and latency-bound; Nagle's algorithm would hold them back.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_connectTimeout);
        try
        {
            await socket.ConnectAsync(_resource.Host, _resource.Port, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new InstrumentTimeoutException(Resource, $"connecting to {_resource.Host}:{_resource.Port}", _connectTimeout, ex);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InstrumentIOException(Resource, $"{Resource}: cannot connect to {_resource.Host}:{_resource.Port}: {ex.SocketErrorCode}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        _open = true;
    }

    // The socket's own ValueTask, no async frame here: a loopback reply is never there when the read is issued, so a
    // frame of ours would be one more resumption per query (issue 18's benchmark, fifth round). Its SocketException is
    // translated by the base class (IsReceiveFailure, OnReceiveFailure), as this method's catch did before.
    protected override ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        _socket!.ReceiveAsync(destination, SocketFlags.None, cancellationToken);

    protected override bool IsReceiveFailure(Exception failure) => failure is SocketException;

    protected override InstrumentIOException OnReceiveFailure(Exception failure)
    {
        MarkDropped();
        return new InstrumentIOException(Resource, $"{Resource}: receive failed: {((SocketException)failure).SocketErrorCode}", failure);
    }

    // Pooled state machine (.NET's PoolingAsyncValueTaskMethodBuilder): a send normally completes at once, but one that
    // waits for room in the socket's buffer would otherwise box its frame afresh.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            while (!data.IsEmpty)
            {
                var n = await _socket!.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                data = data[n..];
            }
        }
        catch (SocketException ex)
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: send failed: {ex.SocketErrorCode}", ex);
        }
    }

    protected override Task DiscardInputCoreAsync(CancellationToken cancellationToken)
    {
        var socket = _socket!;
        var scratch = new byte[4096];
        while (socket.Available > 0)
        {
            socket.Receive(scratch, Math.Min(scratch.Length, socket.Available), SocketFlags.None);
        }

        return Task.CompletedTask;
    }

    protected override Task CloseCoreAsync()
    {
        _open = false;
        _socket?.Dispose();
        _socket = null;
        return Task.CompletedTask;
    }

    protected override void MarkDropped() => _open = false;
}

using System.Threading.Channels;

namespace CimHil.Instruments.Transports;

/// <summary>
/// In-memory transport for unit tests: what the client writes, <see cref="Peer"/> reads, and the reverse.
/// Closing either end makes the other see a dropped link, like a socket.
/// </summary>
public sealed class LoopbackTransport : BufferedTransport
{
    private readonly Channel<byte[]> _inbound;
    private readonly Channel<byte[]> _outbound;
    private byte[] _pending = [];
    private int _pendingOffset;
    private volatile bool _open;
    private bool _closed;

    private LoopbackTransport(string resource, TimeSpan timeout, Channel<byte[]> inbound, Channel<byte[]> outbound)
        : base(resource, timeout)
    {
        _inbound = inbound;
        _outbound = outbound;
        _open = true;
    }

    /// <summary>The other end of the pair.</summary>
    public LoopbackTransport Peer { get; private set; } = null!;

    public override bool IsOpen => _open;

    /// <summary>Two connected, already open ends.</summary>
    public static (LoopbackTransport Client, LoopbackTransport Server) CreatePair(string resource = "LOOPBACK::INSTR", TimeSpan? timeout = null)
    {
        var a = Channel.CreateUnbounded<byte[]>();
        var b = Channel.CreateUnbounded<byte[]>();
        var t = timeout ?? TimeSpan.FromSeconds(2);
        var client = new LoopbackTransport(resource, t, inbound: a, outbound: b);
        var server = new LoopbackTransport(resource, t, inbound: b, outbound: a);
        client.Peer = server;
        server.Peer = client;
        return (client, server);
    }

    protected override Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        if (_closed)
        {
            throw new InstrumentIOException(Resource, $"{Resource}: a loopback pair cannot be re-opened once closed");
        }

        _open = true;
        return Task.CompletedTask;
    }

    /// <summary>A "reconnect" keeps the pipe (there is nothing to dial) but forgets unread input, like a fresh connection.</summary>
    protected override async Task ReopenCoreAsync(CancellationToken cancellationToken)
    {
        await OpenCoreAsync(cancellationToken).ConfigureAwait(false);
        await DiscardInputCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_pendingOffset == _pending.Length)
        {
            if (!await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            _pending = await _inbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _pendingOffset = 0;
        }

        var n = Math.Min(destination.Length, _pending.Length - _pendingOffset);
        _pending.AsSpan(_pendingOffset, n).CopyTo(destination.Span);
        _pendingOffset += n;
        return n;
    }

    protected override ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (!_outbound.Writer.TryWrite(data.ToArray()))
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: the loopback peer is closed");
        }

        return ValueTask.CompletedTask;
    }

    protected override Task DiscardInputCoreAsync(CancellationToken cancellationToken)
    {
        _pending = [];
        _pendingOffset = 0;
        while (_inbound.Reader.TryRead(out _))
        {
        }

        return Task.CompletedTask;
    }

    protected override Task CloseCoreAsync()
    {
        if (_open)
        {
            _open = false;
            _closed = true;
            _outbound.Writer.TryComplete();
        }

        return Task.CompletedTask;
    }

    protected override void MarkDropped() => _open = false;
}

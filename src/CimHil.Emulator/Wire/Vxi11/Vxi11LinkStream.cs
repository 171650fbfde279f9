using System.Threading.Channels;

namespace CimHil.Emulator.Wire.Vxi11;

/// <summary>
/// The byte stream a <see cref="BoardServer"/> serves for one VXI-11 link: device_write data flows in, replies flow
/// out one message at a time. The output holds one reply, so (as on a socket) the board reads the next message only
/// after the client has fetched the previous reply: <see cref="BoardServerOptions.MaxReplyBytes"/> stays the bound.
/// </summary>
internal sealed class Vxi11LinkStream : Stream
{
    /// <summary>device_write chunks buffered ahead of the board; a fuller queue makes device_write wait (then time out).</summary>
    private const int InputChunks = 16;

    private readonly Channel<ReadOnlyMemory<byte>> _input = Channel.CreateBounded<ReadOnlyMemory<byte>>(InputChunks);
    private readonly Channel<byte[]> _output = Channel.CreateBounded<byte[]>(1);
    private ReadOnlyMemory<byte> _inputPending;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Queues device_write data for the board; false when it did not fit within <paramref name="cancellationToken"/>'s time.</summary>
    public async Task<bool> EnqueueAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await _input.Writer.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The next reply message (with its LF), or null when none came before <paramref name="cancellationToken"/>.</summary>
    public async Task<byte[]?> TakeReplyAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _output.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>device_clear: drops queued input and any reply not yet fetched.</summary>
    public void Clear()
    {
        while (_input.Reader.TryRead(out _))
        {
        }

        while (_output.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>destroy_link: the board sees the end of its input and stops serving.</summary>
    public void Complete() => _input.Writer.TryComplete();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_inputPending.IsEmpty)
        {
            try
            {
                _inputPending = await _input.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return 0;
            }
        }

        var n = Math.Min(buffer.Length, _inputPending.Length);
        _inputPending[..n].CopyTo(buffer);
        _inputPending = _inputPending[n..];
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        await _output.Writer.WriteAsync(buffer.ToArray(), cancellationToken).ConfigureAwait(false);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the board reads asynchronously");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the board writes asynchronously");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

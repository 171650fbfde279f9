using System.Threading.Channels;
using CimHil.Core.HiSlip;
using CimHil.Emulator.Wire.Vxi11;

namespace CimHil.Emulator.Wire.HiSlip;

/// <summary>
/// The byte stream a <see cref="BoardServer"/> serves for one HiSLIP session: Data/DataEnd payloads flow in, and each
/// reply the board writes leaves as one DataEnd carrying the MessageID of the message that produced it (IVI-6.1
/// "Synchronized Mode"). While another session holds the exclusive lock, this session's input waits. A device clear
/// drops queued input and any reply to a message received before it.
/// </summary>
internal sealed class HiSlipSessionStream(int sessionId, HiSlipConnection sync, Vxi11DeviceLock deviceLock) : Stream
{
    /// <summary>Messages buffered ahead of the board; a fuller queue holds back the synchronous channel (TCP flow control does the rest).</summary>
    private const int InputChunks = 16;

    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(5);

    private readonly Channel<InputChunk> _input = Channel.CreateBounded<InputChunk>(InputChunks);
    private InputChunk _pending = new(ReadOnlyMemory<byte>.Empty, 0, 0);
    private int _generation;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Queues a payload for the board, tagged with its MessageID.</summary>
    public ValueTask EnqueueAsync(ReadOnlyMemory<byte> data, uint messageId, CancellationToken cancellationToken) =>
        _input.Writer.WriteAsync(new InputChunk(data, messageId, Volatile.Read(ref _generation)), cancellationToken);

    /// <summary>Device clear: queued input is dropped and replies still to come for earlier messages are discarded.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        while (_input.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>The end of the session: the board sees the end of its input and stops serving.</summary>
    public void Complete() => _input.Writer.TryComplete();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_pending.Data.IsEmpty)
        {
            try
            {
                _pending = await _input.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return 0;
            }

            if (_pending.Generation != Volatile.Read(ref _generation))
            {
                _pending = _pending with { Data = ReadOnlyMemory<byte>.Empty };
            }
        }

        // An exclusive lock held by another session holds this session's messages back (IVI-6.1 "Lock Transaction").
        while (!deviceLock.Permits(sessionId))
        {
            await Task.Delay(LockPoll, cancellationToken).ConfigureAwait(false);
        }

        var n = Math.Min(buffer.Length, _pending.Data.Length);
        _pending.Data[..n].CopyTo(buffer);
        _pending = _pending with { Data = _pending.Data[n..] };
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pending.Generation != Volatile.Read(ref _generation))
        {
            return; // the reply to a message a device clear has since abandoned
        }

        await sync.SendAsync(HiSlipMessageType.DataEnd, 0, _pending.MessageId, buffer, cancellationToken).ConfigureAwait(false);
    }

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

    /// <summary>One received payload, the MessageID it came with and the device-clear generation it belongs to.</summary>
    private readonly record struct InputChunk(ReadOnlyMemory<byte> Data, uint MessageId, int Generation);
}

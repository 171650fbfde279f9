using System.Runtime.CompilerServices;
using CimHil.Instruments.Resilience;

namespace CimHil.Instruments.Transports;

/// <summary>
/// Shared read buffering for byte-stream links (socket, tty, loopback): subclasses supply "read some" and "write all";
/// this class assembles terminated messages and exact counts, and turns the per-call timeout into
/// <see cref="InstrumentTimeoutException"/>. The public calls return pooled <see cref="ValueTask"/>s: a loopback reply
/// is never there when the read is issued, so a <see cref="Task"/> per call was a boxed frame per query (issue 18).
/// </summary>
public abstract class BufferedTransport : ITransport
{
    /// <summary>Remaining byte counts at least this large are read directly into the caller's array.</summary>
    private const int DirectReadBytes = 16 * 1024;

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>
    /// The watchdog on each read and write, one per transport: a lazy timer on real time that fires about once per
    /// <see cref="Timeout"/> while calls run back to back, instead of a timer re-armed (and before that a linked source
    /// allocated) for every call — a measurable share of a loopback query (docs/instruments.md "Session overhead").
    /// </summary>
    private readonly ExchangeDeadline _watchdog = new(System.Threading.Timeout.InfiniteTimeSpan, TimeProvider.System);

    protected BufferedTransport(string resource, TimeSpan timeout)
    {
        Resource = resource;
        Timeout = timeout;
    }

    public string Resource { get; }

    public abstract bool IsOpen { get; }

    public TimeSpan Timeout { get; set; }

    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        _start = _end = 0;
        await ReopenCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var timeout = Timeout;
        var token = _watchdog.Start(timeout, cancellationToken);
        try
        {
            await WriteCoreAsync(data, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstrumentTimeoutException(Resource, $"writing {data.Length} bytes", timeout, ex);
        }
        finally
        {
            _watchdog.Stop();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var timeout = Timeout;
        var token = _watchdog.Start(timeout, cancellationToken);
        var scanned = 0;
        try
        {
            while (true)
            {
                var index = Array.IndexOf(_buffer, terminator, _start + scanned, _end - _start - scanned);
                if (index >= 0)
                {
                    var message = _buffer.AsSpan(_start, index - _start).ToArray();
                    _start = index + 1;
                    return message;
                }

                scanned = _end - _start;
                if (scanned >= maxBytes)
                {
                    throw new InstrumentProtocolException(Resource, $"{Resource}: no terminator 0x{terminator:X2} within {maxBytes} bytes");
                }

                // FillAsync inlined: one async frame fewer to box per reply that has not arrived yet (every loopback query).
                CompleteFill(await ReadSomeCoreAsync(PrepareFill(), token).ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstrumentTimeoutException(Resource, $"reading a reply ({scanned} bytes received, no terminator)", timeout, ex);
        }
        catch (Exception ex) when (IsReceiveFailure(ex))
        {
            throw OnReceiveFailure(ex);
        }
        finally
        {
            _watchdog.Stop();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        EnsureOpen();
        var timeout = Timeout;
        var token = _watchdog.Start(timeout, cancellationToken);
        var result = new byte[count];
        var copied = 0;
        try
        {
            while (copied < count)
            {
                if (_end == _start && count - copied >= DirectReadBytes)
                {
                    // Bulk payloads go straight into the result: no copy through the line buffer.
                    var direct = await ReadSomeCoreAsync(result.AsMemory(copied), token).ConfigureAwait(false);
                    if (direct == 0)
                    {
                        MarkDropped();
                        throw new InstrumentIOException(Resource, $"{Resource}: the instrument closed the connection");
                    }

                    copied += direct;
                    continue;
                }

                if (_end == _start)
                {
                    CompleteFill(await ReadSomeCoreAsync(PrepareFill(), token).ConfigureAwait(false));
                }

                var n = Math.Min(count - copied, _end - _start);
                _buffer.AsSpan(_start, n).CopyTo(result.AsSpan(copied));
                _start += n;
                copied += n;
            }

            return result;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstrumentTimeoutException(Resource, $"reading {count} bytes ({copied} received)", timeout, ex);
        }
        catch (Exception ex) when (IsReceiveFailure(ex))
        {
            throw OnReceiveFailure(ex);
        }
        finally
        {
            _watchdog.Stop();
        }
    }

    public async ValueTask ClearAsync(CancellationToken cancellationToken)
    {
        _start = _end = 0;
        if (IsOpen)
        {
            await DiscardInputCoreAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask CloseAsync() => new(CloseCoreAsync());

    public async ValueTask DisposeAsync()
    {
        await CloseCoreAsync().ConfigureAwait(false);
        _watchdog.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract Task OpenCoreAsync(CancellationToken cancellationToken);

    /// <summary>Closes whatever is open and opens afresh; the loopback overrides this to keep its pipe.</summary>
    protected virtual async Task ReopenCoreAsync(CancellationToken cancellationToken)
    {
        await CloseCoreAsync().ConfigureAwait(false);
        await OpenCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads at least one byte; returns 0 when the peer closed the link. A transport may return its link's own call here
    /// without an async frame of its own (the socket's: one resumption fewer per reply) and leave its failures to
    /// <see cref="IsReceiveFailure"/> and <see cref="OnReceiveFailure"/>.
    /// </summary>
    protected abstract ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="failure"/>, let through by <see cref="ReadSomeCoreAsync"/>, is the link's failure to translate.</summary>
    protected virtual bool IsReceiveFailure(Exception failure) => false;

    /// <summary>The exception the caller gets for a receive failure (<see cref="IsReceiveFailure"/>); marks the link dropped if it is.</summary>
    protected virtual InstrumentIOException OnReceiveFailure(Exception failure) =>
        new(Resource, $"{Resource}: receive failed: {failure.Message}", failure);

    protected abstract ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Drops bytes already received by the OS but not yet read.</summary>
    protected abstract Task DiscardInputCoreAsync(CancellationToken cancellationToken);

    protected abstract Task CloseCoreAsync();

    /// <summary>Marks the link dropped so the session re-opens it before the next exchange.</summary>
    protected abstract void MarkDropped();

    /// <summary>Makes room at the end of the buffer (compacting or growing it) and returns the free part.</summary>
    private Memory<byte> PrepareFill()
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Takes <paramref name="received"/> bytes into the buffer; 0 means the peer closed the link.</summary>
    private void CompleteFill(int received)
    {
        if (received == 0)
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: the instrument closed the connection");
        }

        _end += received;
    }

    private void EnsureOpen()
    {
        if (!IsOpen)
        {
            throw new InstrumentIOException(Resource, $"{Resource}: the link is not open");
        }
    }
}

namespace CimHil.Instruments.Transports;

/// <summary>
/// Shared read buffering for byte-stream links (socket, tty, loopback): subclasses supply "read some" and "write all";
/// this class assembles terminated messages and exact counts, and turns the per-call timeout into
/// <see cref="InstrumentTimeoutException"/>.
/// </summary>
public abstract class BufferedTransport : ITransport
{
    /// <summary>Remaining byte counts at least this large are read directly into the caller's array.</summary>
    private const int DirectReadBytes = 16 * 1024;

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>
    /// The per-call deadline, reused across calls (reset with <see cref="CancellationTokenSource.TryReset"/>): a linked
    /// source per call cost an allocation, a registration and a timer each time, a measurable share of a loopback query.
    /// </summary>
    private CancellationTokenSource? _deadline;

    protected BufferedTransport(string resource, TimeSpan timeout)
    {
        Resource = resource;
        Timeout = timeout;
    }

    public string Resource { get; }

    public abstract bool IsOpen { get; }

    public TimeSpan Timeout { get; set; }

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        _start = _end = 0;
        await ReopenCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        EnsureOpen();
        using var timeout = Deadline(cancellationToken);
        try
        {
            await WriteCoreAsync(data, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstrumentTimeoutException(Resource, $"writing {data.Length} bytes", Timeout, ex);
        }
    }

    public async Task<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken)
    {
        EnsureOpen();
        using var timeout = Deadline(cancellationToken);
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
                CompleteFill(await ReadSomeCoreAsync(PrepareFill(), timeout.Token).ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InstrumentTimeoutException(Resource, $"reading a reply ({scanned} bytes received, no terminator)", Timeout, ex);
        }
    }

    public async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        EnsureOpen();
        using var timeout = Deadline(cancellationToken);
        var result = new byte[count];
        var copied = 0;
        try
        {
            while (copied < count)
            {
                if (_end == _start && count - copied >= DirectReadBytes)
                {
                    // Bulk payloads go straight into the result: no copy through the line buffer.
                    var direct = await ReadSomeCoreAsync(result.AsMemory(copied), timeout.Token).ConfigureAwait(false);
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
                    await FillAsync(timeout.Token).ConfigureAwait(false);
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
            throw new InstrumentTimeoutException(Resource, $"reading {count} bytes ({copied} received)", Timeout, ex);
        }
    }

    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        _start = _end = 0;
        if (IsOpen)
        {
            await DiscardInputCoreAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task CloseAsync() => CloseCoreAsync();

    public async ValueTask DisposeAsync()
    {
        await CloseCoreAsync().ConfigureAwait(false);
        _deadline?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract Task OpenCoreAsync(CancellationToken cancellationToken);

    /// <summary>Closes whatever is open and opens afresh; the loopback overrides this to keep its pipe.</summary>
    protected virtual async Task ReopenCoreAsync(CancellationToken cancellationToken)
    {
        await CloseCoreAsync().ConfigureAwait(false);
        await OpenCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads at least one byte; returns 0 when the peer closed the link.</summary>
    protected abstract ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken);

    protected abstract ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Drops bytes already received by the OS but not yet read.</summary>
    protected abstract Task DiscardInputCoreAsync(CancellationToken cancellationToken);

    protected abstract Task CloseCoreAsync();

    /// <summary>Marks the link dropped so the session re-opens it before the next exchange.</summary>
    protected abstract void MarkDropped();

    private async Task FillAsync(CancellationToken cancellationToken) =>
        CompleteFill(await ReadSomeCoreAsync(PrepareFill(), cancellationToken).ConfigureAwait(false));

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

    /// <summary>Arms the reusable deadline for one call; disposing the returned scope ends the caller-token link.</summary>
    private DeadlineScope Deadline(CancellationToken cancellationToken)
    {
        if (_deadline is null || !_deadline.TryReset())
        {
            _deadline?.Dispose();
            _deadline = new CancellationTokenSource();
        }

        if (Timeout > TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            _deadline.CancelAfter(Timeout);
        }

        var link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), _deadline)
            : default;
        return new DeadlineScope(_deadline, link);
    }

    /// <summary>One call's deadline: <see cref="Token"/> fires on the timeout or when the caller cancels.</summary>
    private readonly struct DeadlineScope(CancellationTokenSource source, CancellationTokenRegistration link) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose() => link.Dispose();
    }
}

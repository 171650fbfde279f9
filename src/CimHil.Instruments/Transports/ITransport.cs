namespace CimHil.Instruments.Transports;

/// <summary>
/// A message-based link to one instrument: bytes out, bytes in up to a termination character or a byte count.
/// Knows nothing of SCPI. Not thread-safe: <see cref="Scpi.ScpiSession"/> serialises callers.
/// The calls return <see cref="ValueTask"/>: await each result once, never twice, and never keep it (issue 18: a
/// <see cref="Task"/> per call was a boxed frame per query on a loopback link).
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>The resource string this transport was opened for (for logs and errors).</summary>
    string Resource { get; }

    /// <summary>False before <see cref="OpenAsync"/>, after <see cref="CloseAsync"/>, and once a dropped link is detected.</summary>
    bool IsOpen { get; }

    /// <summary>Bound on each single read or write; exceeding it throws <see cref="InstrumentTimeoutException"/>.</summary>
    TimeSpan Timeout { get; set; }

    /// <summary>Opens the link, or re-opens it after a drop (discarding anything buffered).</summary>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Reads up to and including <paramref name="terminator"/>; returns the bytes without it.</summary>
    ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken);

    /// <summary>Reads exactly <paramref name="count"/> bytes (binary block payloads).</summary>
    ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken);

    /// <summary>Discards pending input (and on VISA sends a device clear, IEEE 488.2 section 5.8).</summary>
    ValueTask ClearAsync(CancellationToken cancellationToken);

    ValueTask CloseAsync();
}

using System.Text;
using CimHil.Core.HiSlip;

namespace CimHil.Emulator.Wire.HiSlip;

/// <summary>
/// The server's side of one HiSLIP TCP connection (either channel): framed reads, and whole-message writes serialised by
/// a gate because the board's replies and the channel's own responses share the connection.
/// </summary>
internal sealed class HiSlipConnection(Stream stream) : IDisposable
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly byte[] _header = new byte[HiSlipHeader.Size];

    /// <summary>The next header; null at a clean end of stream. A header without "HS" is an <see cref="InvalidDataException"/>.</summary>
    public async Task<HiSlipHeader?> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        var got = 0;
        while (got < HiSlipHeader.Size)
        {
            var n = await stream.ReadAsync(_header.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return got == 0 ? null : throw new EndOfStreamException("the client closed the connection inside a header");
            }

            got += n;
        }

        return HiSlipHeader.TryParse(_header, out var header)
            ? header
            : throw new InvalidDataException($"poorly formed header (prologue 0x{_header[0]:X2} 0x{_header[1]:X2})");
    }

    public async Task<byte[]> ReadPayloadAsync(ulong length, CancellationToken cancellationToken)
    {
        var payload = new byte[checked((int)length)];
        await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return payload;
    }

    public async Task SkipAsync(ulong length, CancellationToken cancellationToken)
    {
        var scratch = new byte[(int)Math.Min(length, 64 * 1024)];
        while (length > 0)
        {
            var n = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(length, (ulong)scratch.Length)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("the client closed the connection inside a payload");
            }

            length -= (ulong)n;
        }
    }

    /// <summary>Writes one message (header and payload in one buffer, so one segment for small messages).</summary>
    public async Task SendAsync(HiSlipMessageType type, byte controlCode, uint parameter, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var message = new byte[HiSlipHeader.Size + payload.Length];
        new HiSlipHeader(type, controlCode, parameter, (ulong)payload.Length).Write(message);
        payload.Span.CopyTo(message.AsSpan(HiSlipHeader.Size));
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose() => _writeGate.Dispose();

    /// <summary>An Error message (IVI-6.1 section 6.3): the connection stays usable.</summary>
    public Task SendErrorAsync(byte code, string text, CancellationToken cancellationToken) =>
        SendAsync(HiSlipMessageType.Error, code, 0, Encoding.ASCII.GetBytes(text), cancellationToken);

    /// <summary>A FatalError message (IVI-6.1 section 6.2): the caller closes the connection after it.</summary>
    public Task SendFatalErrorAsync(byte code, string text, CancellationToken cancellationToken) =>
        SendAsync(HiSlipMessageType.FatalError, code, 0, Encoding.ASCII.GetBytes(text), cancellationToken);
}

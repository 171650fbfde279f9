using System.Net.Sockets;
using System.Text;
using CimHil.Core.HiSlip;

namespace CimHil.Instruments.Transports.HiSlip;

/// <summary>
/// One of the two TCP connections of a HiSLIP session (IVI-6.1 "Synchronous and Asynchronous Channels"): sends whole
/// messages (header and small payloads in one send, so one syscall per message) and receives headers and payloads.
/// Knows the framing only; what a message means is the transport's business.
/// </summary>
internal sealed class HiSlipChannel : IDisposable
{
    /// <summary>Payloads up to this size are copied behind the header and sent together; larger ones go in a second send.</summary>
    private const int CoalesceBytes = 8 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _header = new byte[HiSlipHeader.Size];
    private byte[] _send = new byte[HiSlipHeader.Size + 256];

    private HiSlipChannel(Socket socket) => _socket = socket;

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> with Nagle off: HiSLIP messages are small and latency-bound.</summary>
    public static async Task<HiSlipChannel> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new HiSlipChannel(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one message: header then payload.</summary>
    public async ValueTask SendAsync(HiSlipMessageType type, byte controlCode, uint parameter, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var header = new HiSlipHeader(type, controlCode, parameter, (ulong)payload.Length);
        if (payload.Length <= CoalesceBytes)
        {
            var length = HiSlipHeader.Size + payload.Length;
            if (_send.Length < length)
            {
                _send = new byte[Math.Max(length, _send.Length * 2)];
            }

            header.Write(_send);
            payload.Span.CopyTo(_send.AsSpan(HiSlipHeader.Size));
            await SendAllAsync(_send.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            return;
        }

        header.Write(_send);
        await SendAllAsync(_send.AsMemory(0, HiSlipHeader.Size), cancellationToken).ConfigureAwait(false);
        await SendAllAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next header; null when the peer closed the connection cleanly before it. A header without "HS" is an <see cref="InvalidDataException"/>.</summary>
    public async ValueTask<HiSlipHeader?> ReceiveHeaderAsync(CancellationToken cancellationToken)
    {
        var got = 0;
        while (got < HiSlipHeader.Size)
        {
            var n = await _socket.ReceiveAsync(_header.AsMemory(got), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return got == 0 ? null : throw new EndOfStreamException($"the connection closed inside a message header ({got} of {HiSlipHeader.Size} bytes)");
            }

            got += n;
        }

        if (!HiSlipHeader.TryParse(_header, out var header))
        {
            throw new InvalidDataException($"poorly formed HiSLIP header (prologue 0x{_header[0]:X2} 0x{_header[1]:X2}, expected 'HS')");
        }

        return header;
    }

    /// <summary>Receives some payload bytes into <paramref name="destination"/>; 0 when the peer closed the connection.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken);

    /// <summary>A whole (small) payload; one longer than <paramref name="maxBytes"/> is a protocol error.</summary>
    public async ValueTask<byte[]> ReceivePayloadAsync(ulong length, int maxBytes, CancellationToken cancellationToken)
    {
        if (length > (ulong)maxBytes)
        {
            throw new InvalidDataException($"a {length}-byte payload where at most {maxBytes} bytes are expected");
        }

        var payload = new byte[(int)length];
        var got = 0;
        while (got < payload.Length)
        {
            var n = await _socket.ReceiveAsync(payload.AsMemory(got), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException($"the connection closed inside a payload ({got} of {length} bytes)");
            }

            got += n;
        }

        return payload;
    }

    /// <summary>Reads and drops <paramref name="length"/> payload bytes.</summary>
    public async ValueTask SkipAsync(ulong length, CancellationToken cancellationToken)
    {
        var scratch = new byte[(int)Math.Min(length, 64 * 1024)];
        while (length > 0)
        {
            var n = await _socket.ReceiveAsync(scratch.AsMemory(0, (int)Math.Min(length, (ulong)scratch.Length)), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("the connection closed inside a payload being skipped");
            }

            length -= (ulong)n;
        }
    }

    /// <summary>An Error or FatalError payload as text (ASCII per IVI-6.1 section 6.3), bounded so a hostile length cannot exhaust memory.</summary>
    public async ValueTask<string> ReceiveTextAsync(ulong length, CancellationToken cancellationToken)
    {
        const int MaxTextBytes = 4096;
        var keep = (int)Math.Min(length, MaxTextBytes);
        var text = await ReceivePayloadAsync((ulong)keep, MaxTextBytes, cancellationToken).ConfigureAwait(false);
        await SkipAsync(length - (ulong)keep, cancellationToken).ConfigureAwait(false);
        return Encoding.ASCII.GetString(text);
    }

    public void Dispose() => _socket.Dispose();

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var n = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[n..];
        }
    }
}

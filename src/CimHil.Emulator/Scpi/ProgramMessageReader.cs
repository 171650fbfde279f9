using System.Buffers;
using System.Text;

namespace CimHil.Emulator.Scpi;

/// <summary>
/// Reads LF-terminated program messages from a stream (a CR before the LF is dropped), holding at most
/// <c>maxMessageBytes</c> of one message: a longer one is discarded unexecuted and queues -363 (SCPI-99: input buffer
/// overrun). Its bytes are dropped as they arrive until its LF, so a connection holds at most the cap plus one read buffer.
/// </summary>
internal sealed class ProgramMessageReader
{
    /// <summary>Default longest program message: 1 MiB holds a 128-row ARR:VMM? many times over.</summary>
    public const int DefaultMaxMessageBytes = 1024 * 1024;

    private readonly Stream _stream;
    private readonly int _maxMessageBytes;
    private readonly Action<int, string> _pushError;
    private readonly byte[] _buffer;
    private readonly byte _terminator;
    private readonly ArrayBufferWriter<byte> _message = new();
    private int _start;
    private int _end;
    private bool _overrun;

    /// <summary>Reads <paramref name="stream"/>; <paramref name="pushError"/> queues the -363 of an over-long message.</summary>
    /// <remarks><paramref name="terminator"/> ends a message: LF, or NUL for Keithley KXCI over LAN.</remarks>
    public ProgramMessageReader(Stream stream, int maxMessageBytes, Action<int, string> pushError, int bufferBytes = 64 * 1024, byte terminator = (byte)'\n')
    {
        _terminator = terminator;
        _stream = stream;
        _maxMessageBytes = maxMessageBytes;
        _pushError = pushError;
        _buffer = new byte[bufferBytes];
    }

    /// <summary>The next message within the cap, without its terminator; null once the peer has closed the stream.</summary>
    public async Task<string?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var lf = Array.IndexOf(_buffer, _terminator, _start, _end - _start);
            if (lf < 0)
            {
                Append(_buffer.AsSpan(_start, _end - _start));
                _start = 0;
                _end = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (_end == 0)
                {
                    return null;
                }

                continue;
            }

            Append(_buffer.AsSpan(_start, lf - _start));
            _start = lf + 1;
            if (_overrun)
            {
                // The whole over-long message is discarded, none of it executed; the next one is served normally.
                _overrun = false;
                _message.ResetWrittenCount();
                continue;
            }

            var line = Encoding.ASCII.GetString(_message.WrittenSpan).TrimEnd('\r');
            _message.ResetWrittenCount();
            return line;
        }
    }

    /// <summary>Drops what was read past the last message: a serial line's outage loses the rest of the client's burst.</summary>
    public void DiscardBuffered() => _start = _end;

    /// <summary>Adds bytes of the current message unless that would pass the cap: then -363 is queued once for the message.</summary>
    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_overrun)
        {
            return;
        }

        // A CR before the LF is not part of the message and does not count against the cap.
        var counted = (long)_message.WrittenCount + bytes.Length - (bytes.Length > 0 && bytes[^1] == (byte)'\r' ? 1 : 0);
        if (counted > _maxMessageBytes)
        {
            _pushError(-363, $"Input buffer overrun;message longer than {_maxMessageBytes} bytes, discarded unexecuted");
            _message.ResetWrittenCount();
            _overrun = true;
            return;
        }

        _message.Write(bytes);
    }
}

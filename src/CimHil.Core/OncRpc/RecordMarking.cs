using System.Buffers.Binary;

namespace CimHil.Core.OncRpc;

/// <summary>
/// ONC RPC over TCP record marking (RFC 1831 section 10): each record is fragments with a 4-byte header whose high bit
/// marks the last fragment and whose low 31 bits are the fragment's length.
/// </summary>
public static class RecordMarking
{
    private const uint LastFragment = 0x8000_0000;

    /// <summary>Reads one whole record; null when the peer closed the stream cleanly between records.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var record = new MemoryStream();
        var header = new byte[4];
        while (true)
        {
            if (!await FillAsync(stream, header, allowEof: record.Length == 0, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var word = BinaryPrimitives.ReadUInt32BigEndian(header);
            var length = (int)(word & ~LastFragment);
            if (record.Length + length > maxBytes)
            {
                throw new XdrFormatException($"RPC record of more than {maxBytes} bytes refused");
            }

            var fragment = new byte[length];
            await FillAsync(stream, fragment, allowEof: false, cancellationToken).ConfigureAwait(false);
            record.Write(fragment);
            if ((word & LastFragment) != 0)
            {
                return record.ToArray();
            }
        }
    }

    /// <summary>Writes <paramref name="record"/> as one last fragment.</summary>
    public static async Task WriteAsync(Stream stream, byte[] record, CancellationToken cancellationToken)
    {
        var framed = new byte[record.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(framed, LastFragment | (uint)record.Length);
        record.CopyTo(framed, 4);
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, bool allowEof, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (allowEof && read == 0)
                {
                    return false;
                }

                throw new EndOfStreamException($"the peer closed the connection inside an RPC record ({read} of {buffer.Length} bytes)");
            }

            read += n;
        }

        return true;
    }
}

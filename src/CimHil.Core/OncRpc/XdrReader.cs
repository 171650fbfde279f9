using System.Buffers.Binary;
using System.Text;

namespace CimHil.Core.OncRpc;

/// <summary>Reads an XDR byte string (RFC 4506); a short or malformed one throws <see cref="XdrFormatException"/>.</summary>
public sealed class XdrReader(ReadOnlyMemory<byte> data)
{
    private int _offset;

    public int Remaining => data.Length - _offset;

    public uint UInt()
    {
        var unit = Take(4);
        return BinaryPrimitives.ReadUInt32BigEndian(unit.Span);
    }

    public int Int() => unchecked((int)UInt());

    public bool Bool() => UInt() != 0;

    /// <summary>Variable-length opaque; <paramref name="maxBytes"/> bounds what a peer can make us allocate.</summary>
    public ReadOnlyMemory<byte> Opaque(int maxBytes)
    {
        var length = UInt();
        if (length > (uint)maxBytes)
        {
            throw new XdrFormatException($"opaque of {length} bytes exceeds the limit of {maxBytes} bytes");
        }

        var bytes = Take((int)length);
        Take((4 - ((int)length % 4)) % 4);
        return bytes;
    }

    public string String(int maxBytes) => Encoding.ASCII.GetString(Opaque(maxBytes).Span);

    private ReadOnlyMemory<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new XdrFormatException($"needs {count} more bytes at offset {_offset} but only {Remaining} remain");
        }

        var slice = data.Slice(_offset, count);
        _offset += count;
        return slice;
    }
}

/// <summary>An XDR message that is truncated or exceeds a bound.</summary>
public sealed class XdrFormatException(string message) : FormatException($"XDR: {message}");

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace CimHil.Core.OncRpc;

/// <summary>Builds an XDR byte string (RFC 4506): big-endian 4-byte units, opaque data padded to a multiple of four.</summary>
public sealed class XdrWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public int Length => _buffer.WrittenCount;

    public XdrWriter UInt(uint value)
    {
        Span<byte> unit = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(unit, value);
        _buffer.Write(unit);
        return this;
    }

    public XdrWriter Int(int value) => UInt(unchecked((uint)value));

    public XdrWriter Bool(bool value) => UInt(value ? 1u : 0u);

    /// <summary>Variable-length opaque (RFC 4506 section 4.10): length, bytes, zero padding to four.</summary>
    public XdrWriter Opaque(ReadOnlySpan<byte> data)
    {
        UInt((uint)data.Length);
        _buffer.Write(data);
        Span<byte> zeros = stackalloc byte[3];
        zeros.Clear();
        _buffer.Write(zeros[..((4 - (data.Length % 4)) % 4)]);
        return this;
    }

    /// <summary>An XDR string (RFC 4506 section 4.11): ASCII here, as VXI-11 device names are.</summary>
    public XdrWriter String(string value) => Opaque(Encoding.ASCII.GetBytes(value));

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

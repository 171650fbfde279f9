using System.Buffers.Binary;

namespace CimHil.Core.HiSlip;

/// <summary>
/// The 16-byte header that starts every HiSLIP message (IVI-6.1 "HiSLIP Message Format"): the prologue
/// "HS", the message type, a control code, a 32-bit message parameter and a 64-bit payload length, both big-endian
/// (network order).
/// </summary>
public readonly record struct HiSlipHeader(HiSlipMessageType Type, byte ControlCode, uint Parameter, ulong PayloadLength)
{
    /// <summary>Header bytes on the wire.</summary>
    public const int Size = 16;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)'H';
        destination[1] = (byte)'S';
        destination[2] = (byte)Type;
        destination[3] = ControlCode;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Parameter);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], PayloadLength);
    }

    /// <summary>The header as a new 16-byte array (tests and rare messages; the hot paths write into their own buffers).</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    /// <summary>Parses a header; false when the prologue is not "HS" (a poorly formed header: fatal error code 1, IVI-6.1 section 6.2).</summary>
    public static bool TryParse(ReadOnlySpan<byte> source, out HiSlipHeader header)
    {
        if (source.Length < Size || source[0] != (byte)'H' || source[1] != (byte)'S')
        {
            header = default;
            return false;
        }

        header = new HiSlipHeader(
            (HiSlipMessageType)source[2], source[3], BinaryPrimitives.ReadUInt32BigEndian(source[4..]), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));
        return true;
    }
}

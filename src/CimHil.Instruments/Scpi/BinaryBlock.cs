using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace CimHil.Instruments.Scpi;

/// <summary>A malformed IEEE 488.2 definite-length block; the message says which part is wrong.</summary>
public sealed class BinaryBlockFormatException(string message) : FormatException(message)
{
}

/// <summary>
/// IEEE 488.2 section 7.7.6 / 8.7.9 definite-length arbitrary block: <c>#</c>, one digit n (1–9), n digits giving
/// the byte count, then the bytes. The indefinite form <c>#0</c> is refused: it cannot be framed on a socket.
/// </summary>
public static class BinaryBlock
{
    /// <summary>The largest payload accepted (9 length digits allow 999,999,999 bytes; we cap well below).</summary>
    public const int MaxPayloadBytes = 256 * 1024 * 1024;

    /// <summary>Header + payload, without a message terminator.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var length = payload.Length.ToString(CultureInfo.InvariantCulture);
        var header = $"#{length.Length}{length}";
        var result = new byte[header.Length + payload.Length];
        Encoding.ASCII.GetBytes(header, result);
        payload.CopyTo(result.AsSpan(header.Length));
        return result;
    }

    /// <summary>Parses a block at the start of <paramref name="data"/>; <paramref name="consumed"/> is header + payload.</summary>
    public static ReadOnlySpan<byte> Decode(ReadOnlySpan<byte> data, out int consumed)
    {
        var (digits, length) = ParseHeader(data, out var headerLength);
        _ = digits;
        if (data.Length - headerLength < length)
        {
            throw new BinaryBlockFormatException($"block declares {length} bytes but only {data.Length - headerLength} follow the header");
        }

        consumed = headerLength + length;
        return data.Slice(headerLength, length);
    }

    /// <summary>
    /// Parses the header: returns the number of length digits and the payload length; <paramref name="headerLength"/>
    /// is 2 + digits. Needs at least the '#', the digit count and the length digits.
    /// </summary>
    public static (int Digits, int Length) ParseHeader(ReadOnlySpan<byte> data, out int headerLength)
    {
        if (data.Length < 2)
        {
            throw new BinaryBlockFormatException($"block header is truncated ({data.Length} bytes)");
        }

        if (data[0] != (byte)'#')
        {
            throw new BinaryBlockFormatException($"block must start with '#', not 0x{data[0]:X2}");
        }

        var digits = DigitCount(data[1]);
        if (data.Length < 2 + digits)
        {
            throw new BinaryBlockFormatException($"block header announces {digits} length digits but only {data.Length - 2} follow");
        }

        headerLength = 2 + digits;
        return (digits, Length(data.Slice(2, digits)));
    }

    /// <summary>The n of <c>#n</c>: 1–9; 0 (indefinite length) and non-digits are refused.</summary>
    public static int DigitCount(byte b)
    {
        if (b == (byte)'0')
        {
            throw new BinaryBlockFormatException("indefinite-length blocks (#0) are not supported; use a definite-length block");
        }

        if (b is < (byte)'1' or > (byte)'9')
        {
            throw new BinaryBlockFormatException($"block length-digit count must be 1–9, not 0x{b:X2}");
        }

        return b - '0';
    }

    /// <summary>Parses the ASCII length field.</summary>
    public static int Length(ReadOnlySpan<byte> digits)
    {
        long value = 0;
        foreach (var d in digits)
        {
            if (d is < (byte)'0' or > (byte)'9')
            {
                throw new BinaryBlockFormatException($"block length field '{Encoding.ASCII.GetString(digits)}' is not decimal");
            }

            value = (value * 10) + (d - '0');
        }

        if (value > MaxPayloadBytes)
        {
            throw new BinaryBlockFormatException($"block length {value} exceeds the {MaxPayloadBytes}-byte limit");
        }

        return (int)value;
    }

    /// <summary>float64 values as a payload; big-endian is SCPI's default byte order (FORM:BORD NORM).</summary>
    public static byte[] EncodeDoubles(ReadOnlySpan<double> values, bool bigEndian = true)
    {
        var payload = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            var slot = payload.AsSpan(i * 8, 8);
            if (bigEndian)
            {
                BinaryPrimitives.WriteDoubleBigEndian(slot, values[i]);
            }
            else
            {
                BinaryPrimitives.WriteDoubleLittleEndian(slot, values[i]);
            }
        }

        return payload;
    }

    /// <summary>float32 values as a payload.</summary>
    public static byte[] EncodeSingles(ReadOnlySpan<double> values, bool bigEndian = true)
    {
        var payload = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            var slot = payload.AsSpan(i * 4, 4);
            if (bigEndian)
            {
                BinaryPrimitives.WriteSingleBigEndian(slot, (float)values[i]);
            }
            else
            {
                BinaryPrimitives.WriteSingleLittleEndian(slot, (float)values[i]);
            }
        }

        return payload;
    }

    /// <summary>Decodes a float64 payload; its length must be a multiple of 8.</summary>
    public static double[] DecodeDoubles(ReadOnlySpan<byte> payload, bool bigEndian = true)
    {
        if (payload.Length % 8 != 0)
        {
            throw new BinaryBlockFormatException($"a float64 block must be a multiple of 8 bytes, not {payload.Length}");
        }

        var values = new double[payload.Length / 8];
        for (var i = 0; i < values.Length; i++)
        {
            var slot = payload.Slice(i * 8, 8);
            values[i] = bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(slot) : BinaryPrimitives.ReadDoubleLittleEndian(slot);
        }

        return values;
    }

    /// <summary>Decodes a float32 payload (widened to double); its length must be a multiple of 4.</summary>
    public static double[] DecodeSingles(ReadOnlySpan<byte> payload, bool bigEndian = true)
    {
        if (payload.Length % 4 != 0)
        {
            throw new BinaryBlockFormatException($"a float32 block must be a multiple of 4 bytes, not {payload.Length}");
        }

        var values = new double[payload.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            var slot = payload.Slice(i * 4, 4);
            values[i] = bigEndian ? BinaryPrimitives.ReadSingleBigEndian(slot) : BinaryPrimitives.ReadSingleLittleEndian(slot);
        }

        return values;
    }
}

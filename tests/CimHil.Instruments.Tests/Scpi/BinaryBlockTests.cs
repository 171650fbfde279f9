using System.Text;
using CimHil.Instruments.Scpi;

namespace CimHil.Instruments.Tests.Scpi;

public sealed class BinaryBlockTests
{
    [Fact]
    public void Encode_ProducesHeaderDigitsAndPayload()
    {
        var block = BinaryBlock.Encode("ABCDEFGHIJKL"u8);
        Assert.Equal("#212ABCDEFGHIJKL", Encoding.ASCII.GetString(block));
    }

    [Fact]
    public void Encode_EmptyPayload_IsHash10()
    {
        Assert.Equal("#10"u8.ToArray(), BinaryBlock.Encode([]));
    }

    [Fact]
    public void Decode_RoundTripsAndReportsConsumedBytes()
    {
        var payload = Enumerable.Range(0, 1234).Select(i => (byte)i).ToArray();
        var data = BinaryBlock.Encode(payload).Concat("\n"u8.ToArray()).ToArray();
        var decoded = BinaryBlock.Decode(data, out var consumed);
        Assert.Equal(payload, decoded.ToArray());
        Assert.Equal(2 + 4 + 1234, consumed);
    }

    [Fact]
    public void Doubles_BigEndianBytesAreExact()
    {
        var payload = BinaryBlock.EncodeDoubles([1.0, -2.5]);
        Assert.Equal(new byte[] { 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0xC0, 0x04, 0, 0, 0, 0, 0, 0 }, payload);
        Assert.Equal([1.0, -2.5], BinaryBlock.DecodeDoubles(payload));
    }

    [Fact]
    public void Doubles_LittleEndianRoundTrip()
    {
        double[] values = [1e-6, 3.25e-5, double.Epsilon];
        Assert.Equal(values, BinaryBlock.DecodeDoubles(BinaryBlock.EncodeDoubles(values, bigEndian: false), bigEndian: false));
    }

    [Fact]
    public void Singles_RoundTripWithFloatPrecision()
    {
        var decoded = BinaryBlock.DecodeSingles(BinaryBlock.EncodeSingles([1.2345678e-6]));
        Assert.Equal(1.2345678e-6, decoded[0], 1e-6 * 1e-6);
    }

    [Theory]
    [InlineData("", "truncated")]
    [InlineData("X212ABC", "must start with '#'")]
    [InlineData("#0ABC\n", "indefinite-length")]
    [InlineData("#A12", "must be 1–9")]
    [InlineData("#3", "announces 3 length digits but only 0 follow")]
    [InlineData("#21xABC", "is not decimal")]
    [InlineData("#210ABC", "declares 10 bytes but only 3 follow")]
    [InlineData("#9999999999", "exceeds")]
    public void Decode_Malformed_ThrowsNamingThePart(string data, string expected)
    {
        var ex = Assert.Throws<BinaryBlockFormatException>(() => BinaryBlock.Decode(Encoding.ASCII.GetBytes(data), out _));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeDoubles_LengthNotMultipleOf8_Throws()
    {
        var ex = Assert.Throws<BinaryBlockFormatException>(() => BinaryBlock.DecodeDoubles(new byte[12]));
        Assert.Contains("multiple of 8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScpiError_Parse_ReadsCodeAndMessage()
    {
        Assert.Equal(new ScpiError(-113, "Undefined header;FOO"), ScpiError.Parse("-113,\"Undefined header;FOO\""));
        Assert.False(ScpiError.Parse("+0,\"No error\"").IsError);
        Assert.Throws<FormatException>(() => ScpiError.Parse("garbage"));
    }

    [Fact]
    public void Identity_Parse_SplitsFourFields()
    {
        Assert.Equal(new InstrumentIdentity("Keysight Technologies", "B2902A", "MY123", "4.1"), InstrumentIdentity.Parse("Keysight Technologies,B2902A,MY123,4.1\r"));
    }
}

using Google.Protobuf;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// The reading side of <see cref="ProtoOutput"/>: wire-type tests and repeated scalar fields over Google.Protobuf's
/// <see cref="CodedInputStream"/>, shared by the ONNX message readers.
/// </summary>
internal static class ProtoInput
{
    /// <summary>
    /// Reads one field of a message and returns true, or returns false to have it skipped: an unknown field, or a known
    /// number with another wire type, is skipped as protobuf requires (protobuf encoding guide, "Unknown Fields").
    /// </summary>
    public delegate bool FieldReader(int field, uint tag, CodedInputStream input);

    /// <summary>Reads every field of <paramref name="message"/>, in file order, through <paramref name="read"/>.</summary>
    public static void ForEachField(byte[] message, FieldReader read)
    {
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!read(WireFormat.GetTagFieldNumber(tag), tag, input))
            {
                input.SkipLastField();
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="read"/> with the bytes of each length-delimited field <paramref name="field"/> of
    /// <paramref name="message"/> (each element of a repeated sub-message, or the one of a singular one), in file order;
    /// every other field is skipped.
    /// </summary>
    public static void ForEachMessage(byte[] message, int field, Action<byte[]> read) =>
        ForEachField(message, (number, tag, input) =>
        {
            if (number != field || !IsBytes(tag))
            {
                return false;
            }

            read(input.ReadBytes().ToByteArray());
            return true;
        });

    public static void ReadInt64s(CodedInputStream s, uint tag, List<long> into) =>
        ReadRepeated(s, tag, into, WireFormat.WireType.Varint, c => c.ReadInt64());

    public static void ReadFloats(CodedInputStream s, uint tag, List<float> into) =>
        ReadRepeated(s, tag, into, WireFormat.WireType.Fixed32, c => c.ReadFloat());

    public static void ReadDoubles(CodedInputStream s, uint tag, List<double> into) =>
        ReadRepeated(s, tag, into, WireFormat.WireType.Fixed64, c => c.ReadDouble());

    /// <summary>
    /// One repeated scalar field: packed (one length-delimited record of values, what proto3 writers emit) or one value
    /// per tag (what proto2 writers may emit); both must be accepted (protobuf encoding guide, "Packed Repeated Fields").
    /// </summary>
    public static void ReadRepeated<T>(CodedInputStream s, uint tag, List<T> into, WireFormat.WireType single, Func<CodedInputStream, T> read)
    {
        if (IsBytes(tag))
        {
            var packed = new CodedInputStream(s.ReadBytes().ToByteArray());
            while (!packed.IsAtEnd)
            {
                into.Add(read(packed));
            }
        }
        else if (WireFormat.GetTagWireType(tag) == single)
        {
            into.Add(read(s));
        }
        else
        {
            s.SkipLastField();
        }
    }

    public static bool IsVarint(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint;

    public static bool IsBytes(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
}

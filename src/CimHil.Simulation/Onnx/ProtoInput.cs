using Google.Protobuf;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// The reading side of <see cref="ProtoOutput"/>: wire-type tests and repeated scalar fields over Google.Protobuf's
/// <see cref="CodedInputStream"/>, shared by the ONNX message readers.
/// </summary>
internal static class ProtoInput
{
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

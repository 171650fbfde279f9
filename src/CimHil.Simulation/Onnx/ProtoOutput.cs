using System.Buffers;
using Google.Protobuf;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Builds one protobuf message with Google.Protobuf's <see cref="CodedOutputStream"/>: fields by number (the ONNX field
/// numbers are written next to each caller, from onnx/onnx.proto), nested messages as length-delimited bytes, and fields
/// copied verbatim from a source message (so what the writer does not understand passes through unchanged).
/// </summary>
internal sealed class ProtoOutput
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ProtoOutput Int64(int field, long value)
    {
        return Append(o =>
        {
            o.WriteTag(field, WireFormat.WireType.Varint);
            o.WriteInt64(value);
        });
    }

    public ProtoOutput Float(int field, float value)
    {
        return Append(o =>
        {
            o.WriteTag(field, WireFormat.WireType.Fixed32);
            o.WriteFloat(value);
        });
    }

    public ProtoOutput String(int field, string value)
    {
        return Append(o =>
        {
            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
            o.WriteString(value);
        });
    }

    public ProtoOutput Bytes(int field, byte[] value)
    {
        return Append(o =>
        {
            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(value));
        });
    }

    public ProtoOutput Message(int field, ProtoOutput message) => Bytes(field, message.ToArray());

    /// <summary>Repeated int64 as one packed record (accepted by every proto2 and proto3 reader).</summary>
    public ProtoOutput PackedInt64s(int field, IEnumerable<long> values)
    {
        var packed = new ProtoOutput().Append(o =>
        {
            foreach (var v in values)
            {
                o.WriteInt64(v);
            }
        });

        return Bytes(field, packed.ToArray());
    }

    /// <summary>Repeated float as one packed record.</summary>
    public ProtoOutput PackedFloats(int field, IEnumerable<float> values)
    {
        var packed = new ProtoOutput().Append(o =>
        {
            foreach (var v in values)
            {
                o.WriteFloat(v);
            }
        });

        return Bytes(field, packed.ToArray());
    }

    /// <summary>Appends already encoded fields (tag included) unchanged.</summary>
    public ProtoOutput Raw(ReadOnlySpan<byte> encodedFields)
    {
        _buffer.Write(encodedFields);
        return this;
    }

    /// <summary>
    /// Copies the fields of <paramref name="message"/> into a new output unchanged, except where <paramref name="rewrite"/>,
    /// given a length-delimited field's number and value, returns true: it has then written the replacement (or nothing).
    /// </summary>
    public static ProtoOutput CopyFields(byte[] message, Func<int, byte[], ProtoOutput, bool> rewrite)
    {
        var output = new ProtoOutput();
        var input = new CodedInputStream(message);
        while (true)
        {
            var start = (int)input.Position;
            var tag = input.ReadTag();
            if (tag == 0)
            {
                break;
            }

            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                if (rewrite(WireFormat.GetTagFieldNumber(tag), input.ReadBytes().ToByteArray(), output))
                {
                    continue;
                }
            }
            else
            {
                input.SkipLastField();
            }

            output.Raw(message.AsSpan(start, (int)input.Position - start));
        }

        return output;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private ProtoOutput Append(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            write(output);
        }

        _buffer.Write(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        return this;
    }
}

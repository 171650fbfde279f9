using Google.Protobuf;

namespace CimHil.Simulation.Tests.Onnx;

/// <summary>Writes small ONNX models for error tests, field by field (ModelProto numbers as in OnnxReader).</summary>
internal sealed class OnnxModelWriter
{
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];

    public long Opset { get; init; } = 13;

    public OnnxModelWriter Input(string name, params long?[] dims)
    {
        _inputs.Add(ValueInfo(name, dims));
        return this;
    }

    public OnnxModelWriter Output(string name, params long?[] dims)
    {
        _outputs.Add(ValueInfo(name, dims));
        return this;
    }

    public OnnxModelWriter Initializer(string name, long[] dims, float[] values)
    {
        _initializers.Add(Message(o =>
        {
            foreach (var d in dims)
            {
                o.WriteTag(1, WireFormat.WireType.Varint);
                o.WriteInt64(d);
            }

            o.WriteTag(2, WireFormat.WireType.Varint);
            o.WriteInt32(1);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited);
            o.WriteString(name);
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(raw));
        }));
        return this;
    }

    public OnnxModelWriter Initializer(string name, long[] dims, long[] values)
    {
        _initializers.Add(Message(o =>
        {
            foreach (var d in dims)
            {
                o.WriteTag(1, WireFormat.WireType.Varint);
                o.WriteInt64(d);
            }

            o.WriteTag(2, WireFormat.WireType.Varint);
            o.WriteInt32(7);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited);
            o.WriteString(name);
            foreach (var v in values)
            {
                o.WriteTag(7, WireFormat.WireType.Varint);
                o.WriteInt64(v);
            }
        }));
        return this;
    }

    /// <summary>Adds a node; an attribute value is a long (INT) or a long[] (INTS).</summary>
    public OnnxModelWriter Node(string name, string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        _nodes.Add(Message(o =>
        {
            foreach (var i in inputs)
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(i);
            }

            foreach (var i in outputs)
            {
                o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                o.WriteString(i);
            }

            o.WriteTag(3, WireFormat.WireType.LengthDelimited);
            o.WriteString(name);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteString(op);
            foreach (var (an, value) in attributes)
            {
                o.WriteTag(5, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(Message(a =>
                {
                    a.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    a.WriteString(an);
                    if (value is long single)
                    {
                        a.WriteTag(3, WireFormat.WireType.Varint);
                        a.WriteInt64(single);
                        a.WriteTag(20, WireFormat.WireType.Varint);
                        a.WriteInt32(2);
                        return;
                    }

                    foreach (var v in (long[])value)
                    {
                        a.WriteTag(8, WireFormat.WireType.Varint);
                        a.WriteInt64(v);
                    }

                    a.WriteTag(20, WireFormat.WireType.Varint);
                    a.WriteInt32(7);
                })));
            }
        }));
        return this;
    }

    public byte[] ToBytes()
    {
        var graph = Message(o =>
        {
            foreach (var n in _nodes)
            {
                Sub(o, 1, n);
            }

            foreach (var t in _initializers)
            {
                Sub(o, 5, t);
            }

            foreach (var i in _inputs)
            {
                Sub(o, 11, i);
            }

            foreach (var i in _outputs)
            {
                Sub(o, 12, i);
            }
        });
        return Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint);
            o.WriteInt64(8);
            Sub(o, 7, graph);
            Sub(o, 8, Message(s =>
            {
                s.WriteTag(2, WireFormat.WireType.Varint);
                s.WriteInt64(Opset);
            }));
        });
    }

    private static byte[] ValueInfo(string name, long?[] dims) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited);
        o.WriteString(name);
        var shape = Message(s =>
        {
            foreach (var d in dims)
            {
                Sub(s, 1, Message(dm =>
                {
                    if (d is { } v)
                    {
                        dm.WriteTag(1, WireFormat.WireType.Varint);
                        dm.WriteInt64(v);
                    }
                    else
                    {
                        dm.WriteTag(2, WireFormat.WireType.LengthDelimited);
                        dm.WriteString("batch");
                    }
                }));
            }
        });
        var tensorType = Message(t =>
        {
            t.WriteTag(1, WireFormat.WireType.Varint);
            t.WriteInt32(1);
            Sub(t, 2, shape);
        });
        Sub(o, 2, Message(t => Sub(t, 1, tensorType)));
    });

    private static void Sub(CodedOutputStream o, int field, byte[] message)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(message));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        using (var o = new CodedOutputStream(ms, leaveOpen: true))
        {
            write(o);
        }

        return ms.ToArray();
    }
}

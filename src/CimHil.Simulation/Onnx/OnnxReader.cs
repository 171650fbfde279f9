using System.Buffers.Binary;
using Google.Protobuf;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Reads an ONNX model (a protobuf ModelProto) with Google.Protobuf's <see cref="CodedInputStream"/>, against the field
/// numbers of the published schema (onnx/onnx.proto, IR version 8; no schema file in this repository). Only what the
/// importer needs is kept; unknown fields are skipped, as protobuf requires. Repeated numbers are accepted packed and
/// unpacked (onnx.proto is proto2, where exporters write either).
/// </summary>
public static class OnnxReader
{
    /// <summary>Reads and parses an .onnx file.</summary>
    public static async Task<OnnxModel> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(bytes, path);
    }

    /// <summary>Parses ModelProto bytes; <paramref name="source"/> names the file in errors.</summary>
    public static OnnxModel Parse(byte[] bytes, string source = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            return ReadModel(bytes, source);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{source}: not a readable ONNX model ({bytes.Length} bytes): {e.Message} The file may be truncated or not ONNX.", e);
        }
    }

    private static OnnxModel ReadModel(byte[] bytes, string source)
    {
        // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, graph = 7, opset_import = 8.
        long ir = 0;
        long? opset = null;
        string producer = string.Empty, producerVersion = string.Empty;
        byte[]? graph = null;
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsVarint(tag):
                    ir = input.ReadInt64();
                    break;
                case 2 when IsBytes(tag):
                    producer = input.ReadString();
                    break;
                case 3 when IsBytes(tag):
                    producerVersion = input.ReadString();
                    break;
                case 7 when IsBytes(tag):
                    graph = input.ReadBytes().ToByteArray();
                    break;
                case 8 when IsBytes(tag):
                    var (domain, version) = ReadOpset(input.ReadBytes().ToByteArray());
                    if (domain is "" or "ai.onnx")
                    {
                        opset = version;
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        if (graph is null)
        {
            throw new OnnxFormatException($"{source}: no graph in the file ({bytes.Length} bytes); it is truncated or not an ONNX model.");
        }

        if (opset is null)
        {
            throw new OnnxFormatException($"{source}: the model imports no opset of the default domain (opset_import); it is truncated or not an ONNX model.");
        }

        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();

        // GraphProto: node = 1, initializer = 5, input = 11, output = 12, sparse_initializer = 15.
        var g = new CodedInputStream(graph);
        while ((tag = g.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag):
                    nodes.Add(ReadNode(g.ReadBytes().ToByteArray(), nodes.Count));
                    break;
                case 5 when IsBytes(tag):
                    var t = ReadTensor(g.ReadBytes().ToByteArray(), source);
                    initializers[t.Name] = t;
                    break;
                case 11 when IsBytes(tag):
                    inputs.Add(ReadValueInfo(g.ReadBytes().ToByteArray()));
                    break;
                case 12 when IsBytes(tag):
                    outputs.Add(ReadValueInfo(g.ReadBytes().ToByteArray()));
                    break;
                case 15:
                    throw new OnnxFormatException($"{source}: sparse initializers are not supported; export with dense weights.");
                default:
                    g.SkipLastField();
                    break;
            }
        }

        var prod = producerVersion.Length == 0 ? producer : $"{producer} {producerVersion}";
        return new OnnxModel(ir, opset.Value, prod, nodes, initializers, inputs, outputs);
    }

    private static (string Domain, long Version) ReadOpset(byte[] bytes)
    {
        // OperatorSetIdProto: domain = 1, version = 2.
        string domain = string.Empty;
        long version = 0;
        var s = new CodedInputStream(bytes);
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag):
                    domain = s.ReadString();
                    break;
                case 2 when IsVarint(tag):
                    version = s.ReadInt64();
                    break;
                default:
                    s.SkipLastField();
                    break;
            }
        }

        return (domain, version);
    }

    private static OnnxNode ReadNode(byte[] bytes, int index)
    {
        // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = string.Empty, op = string.Empty, domain = string.Empty;
        var s = new CodedInputStream(bytes);
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag):
                    inputs.Add(s.ReadString());
                    break;
                case 2 when IsBytes(tag):
                    outputs.Add(s.ReadString());
                    break;
                case 3 when IsBytes(tag):
                    name = s.ReadString();
                    break;
                case 4 when IsBytes(tag):
                    op = s.ReadString();
                    break;
                case 5 when IsBytes(tag):
                    var a = ReadAttribute(s.ReadBytes().ToByteArray());
                    attributes[a.Name] = a;
                    break;
                case 7 when IsBytes(tag):
                    domain = s.ReadString();
                    break;
                default:
                    s.SkipLastField();
                    break;
            }
        }

        return new OnnxNode(name.Length == 0 ? $"{op}_{index}" : name, op, domain, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(byte[] bytes)
    {
        // AttributeProto: name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8, type = 20.
        string name = string.Empty;
        string? str = null;
        int type = 0;
        float f = 0;
        long i = 0;
        OnnxTensor? tensor = null;
        var floats = new List<float>();
        var ints = new List<long>();
        var s = new CodedInputStream(bytes);
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag):
                    name = s.ReadString();
                    break;
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed32:
                    f = s.ReadFloat();
                    break;
                case 3 when IsVarint(tag):
                    i = s.ReadInt64();
                    break;
                case 4 when IsBytes(tag):
                    str = s.ReadBytes().ToStringUtf8();
                    break;
                case 5 when IsBytes(tag):
                    tensor = ReadTensor(s.ReadBytes().ToByteArray(), $"attribute '{name}'");
                    break;
                case 7:
                    ReadFloats(s, tag, floats);
                    break;
                case 8:
                    ReadInt64s(s, tag, ints);
                    break;
                case 20 when IsVarint(tag):
                    type = s.ReadInt32();
                    break;
                default:
                    s.SkipLastField();
                    break;
            }
        }

        return new OnnxAttribute(name, type, f, i, str, tensor, [.. floats], [.. ints]);
    }

    private static OnnxTensor ReadTensor(byte[] bytes, string source)
    {
        // TensorProto: dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, name = 8, raw_data = 9,
        // double_data = 10, data_location = 14 (1 = EXTERNAL).
        var dims = new List<long>();
        var floats = new List<float>();
        var ints = new List<long>();
        var doubles = new List<double>();
        int type = 0;
        string name = string.Empty;
        byte[]? raw = null;
        var external = false;
        var s = new CodedInputStream(bytes);
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    ReadInt64s(s, tag, dims);
                    break;
                case 2 when IsVarint(tag):
                    type = s.ReadInt32();
                    break;
                case 4:
                    ReadFloats(s, tag, floats);
                    break;
                case 5:
                case 7:
                    ReadInt64s(s, tag, ints);
                    break;
                case 8 when IsBytes(tag):
                    name = s.ReadString();
                    break;
                case 9 when IsBytes(tag):
                    raw = s.ReadBytes().ToByteArray();
                    break;
                case 10:
                    ReadDoubles(s, tag, doubles);
                    break;
                case 14 when IsVarint(tag):
                    external = s.ReadInt32() == 1;
                    break;
                default:
                    s.SkipLastField();
                    break;
            }
        }

        var tensorName = name.Length == 0 ? source : $"tensor '{name}'";
        if (external)
        {
            throw new OnnxFormatException($"{tensorName}: its data lives in an external file (data_location EXTERNAL), which is not supported; export without external data (models under 2 GB).");
        }

        var count = dims.Aggregate(1L, (a, d) => a * d);
        if (count is < 0 or > int.MaxValue)
        {
            throw new OnnxFormatException($"{tensorName}: shape [{string.Join(", ", dims)}] has {count} elements.");
        }

        float[]? f = null;
        long[]? l = null;
        switch (type)
        {
            case 1:
                f = raw is null ? [.. floats] : Decode(raw, 4, count, tensorName, (b, k) => BinaryPrimitives.ReadSingleLittleEndian(b[(4 * k)..]));
                break;
            case 11:
                f = raw is null ? doubles.Select(d => (float)d).ToArray() : Decode(raw, 8, count, tensorName, (b, k) => (float)BinaryPrimitives.ReadDoubleLittleEndian(b[(8 * k)..]));
                break;
            case 6:
                l = raw is null ? [.. ints] : Decode(raw, 4, count, tensorName, (b, k) => (long)BinaryPrimitives.ReadInt32LittleEndian(b[(4 * k)..]));
                break;
            case 7:
                l = raw is null ? [.. ints] : Decode(raw, 8, count, tensorName, (b, k) => BinaryPrimitives.ReadInt64LittleEndian(b[(8 * k)..]));
                break;
            default:
                // Other element types are kept without values; the importer refuses them where a value is needed.
                break;
        }

        var have = f?.Length ?? l?.Length;
        if (have is { } n && n != count)
        {
            throw new OnnxFormatException($"{tensorName}: shape [{string.Join(", ", dims)}] needs {count} values, the file holds {n}.");
        }

        return new OnnxTensor(name, [.. dims], type, f, l);
    }

    private delegate T ElementReader<out T>(ReadOnlySpan<byte> bytes, int index);

    private static T[] Decode<T>(byte[] raw, int size, long count, string tensorName, ElementReader<T> read)
    {
        if (raw.Length != count * size)
        {
            throw new OnnxFormatException($"{tensorName}: raw_data has {raw.Length} bytes, its shape needs {count} × {size} = {count * size}.");
        }

        var v = new T[count];
        for (var k = 0; k < v.Length; k++)
        {
            v[k] = read(raw, k);
        }

        return v;
    }

    private static OnnxValueInfo ReadValueInfo(byte[] bytes)
    {
        // ValueInfoProto: name = 1, type = 2 → TypeProto: tensor_type = 1 → Tensor: elem_type = 1, shape = 2 →
        // TensorShapeProto: dim = 1 → Dimension: dim_value = 1, dim_param = 2.
        string name = string.Empty;
        int elem = 0;
        var dims = new List<long?>();
        var dimNames = new List<string>();
        var s = new CodedInputStream(bytes);
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag):
                    name = s.ReadString();
                    break;
                case 2 when IsBytes(tag):
                    ReadType(s.ReadBytes().ToByteArray(), ref elem, dims, dimNames);
                    break;
                default:
                    s.SkipLastField();
                    break;
            }
        }

        return new OnnxValueInfo(name, elem, [.. dims], [.. dimNames]);
    }

    private static void ReadType(byte[] bytes, ref int elem, List<long?> dims, List<string> dimNames)
    {
        var s = new CodedInputStream(bytes);
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1 || !IsBytes(tag))
            {
                s.SkipLastField();
                continue;
            }

            var t = new CodedInputStream(s.ReadBytes().ToByteArray());
            uint tt;
            while ((tt = t.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tt))
                {
                    case 1 when IsVarint(tt):
                        elem = t.ReadInt32();
                        break;
                    case 2 when IsBytes(tt):
                        ReadShape(t.ReadBytes().ToByteArray(), dims, dimNames);
                        break;
                    default:
                        t.SkipLastField();
                        break;
                }
            }
        }
    }

    private static void ReadShape(byte[] bytes, List<long?> dims, List<string> dimNames)
    {
        var s = new CodedInputStream(bytes);
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1 || !IsBytes(tag))
            {
                s.SkipLastField();
                continue;
            }

            long? value = null;
            var param = string.Empty;
            var d = new CodedInputStream(s.ReadBytes().ToByteArray());
            uint dt;
            while ((dt = d.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(dt))
                {
                    case 1 when IsVarint(dt):
                        value = d.ReadInt64();
                        break;
                    case 2 when IsBytes(dt):
                        param = d.ReadString();
                        break;
                    default:
                        d.SkipLastField();
                        break;
                }
            }

            dims.Add(value);
            dimNames.Add(param);
        }
    }

    private static void ReadInt64s(CodedInputStream s, uint tag, List<long> into) =>
        ReadRepeated(s, tag, into, WireFormat.WireType.Varint, c => c.ReadInt64());

    private static void ReadFloats(CodedInputStream s, uint tag, List<float> into) =>
        ReadRepeated(s, tag, into, WireFormat.WireType.Fixed32, c => c.ReadFloat());

    private static void ReadDoubles(CodedInputStream s, uint tag, List<double> into) =>
        ReadRepeated(s, tag, into, WireFormat.WireType.Fixed64, c => c.ReadDouble());

    /// <summary>
    /// One repeated scalar field: packed (one length-delimited record of values, what proto3 writers emit) or one value
    /// per tag (what proto2 writers may emit); both must be accepted (protobuf encoding guide, "Packed Repeated Fields").
    /// </summary>
    private static void ReadRepeated<T>(CodedInputStream s, uint tag, List<T> into, WireFormat.WireType single, Func<CodedInputStream, T> read)
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

    private static bool IsVarint(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint;

    private static bool IsBytes(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
}

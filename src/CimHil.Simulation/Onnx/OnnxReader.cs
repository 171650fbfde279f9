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
        ProtoInput.ForEachField(bytes, (field, tag, input) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsVarint(tag):
                    ir = input.ReadInt64();
                    return true;
                case 2 when ProtoInput.IsBytes(tag):
                    producer = input.ReadString();
                    return true;
                case 3 when ProtoInput.IsBytes(tag):
                    producerVersion = input.ReadString();
                    return true;
                case 7 when ProtoInput.IsBytes(tag):
                    graph = input.ReadBytes().ToByteArray();
                    return true;
                case 8 when ProtoInput.IsBytes(tag):
                    var (domain, version) = ReadOpset(input.ReadBytes().ToByteArray());
                    if (domain is "" or "ai.onnx")
                    {
                        opset = version;
                    }

                    return true;
                default:
                    return false;
            }
        });

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
        ProtoInput.ForEachField(graph, (field, tag, g) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsBytes(tag):
                    nodes.Add(ReadNode(g.ReadBytes().ToByteArray(), nodes.Count));
                    return true;
                case 5 when ProtoInput.IsBytes(tag):
                    var t = OnnxTensorReader.Read(g.ReadBytes().ToByteArray(), source);
                    initializers[t.Name] = t;
                    return true;
                case 11 when ProtoInput.IsBytes(tag):
                    inputs.Add(OnnxValueInfoReader.Read(g.ReadBytes().ToByteArray()));
                    return true;
                case 12 when ProtoInput.IsBytes(tag):
                    outputs.Add(OnnxValueInfoReader.Read(g.ReadBytes().ToByteArray()));
                    return true;
                case 15:
                    throw new OnnxFormatException($"{source}: sparse initializers are not supported; export with dense weights.");
                default:
                    return false;
            }
        });

        var prod = producerVersion.Length == 0 ? producer : $"{producer} {producerVersion}";
        return new OnnxModel(ir, opset.Value, prod, nodes, initializers, inputs, outputs);
    }

    private static (string Domain, long Version) ReadOpset(byte[] bytes)
    {
        // OperatorSetIdProto: domain = 1, version = 2.
        string domain = string.Empty;
        long version = 0;
        ProtoInput.ForEachField(bytes, (field, tag, s) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsBytes(tag):
                    domain = s.ReadString();
                    return true;
                case 2 when ProtoInput.IsVarint(tag):
                    version = s.ReadInt64();
                    return true;
                default:
                    return false;
            }
        });

        return (domain, version);
    }

    private static OnnxNode ReadNode(byte[] bytes, int index)
    {
        // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = string.Empty, op = string.Empty, domain = string.Empty;
        ProtoInput.ForEachField(bytes, (field, tag, s) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsBytes(tag):
                    inputs.Add(s.ReadString());
                    return true;
                case 2 when ProtoInput.IsBytes(tag):
                    outputs.Add(s.ReadString());
                    return true;
                case 3 when ProtoInput.IsBytes(tag):
                    name = s.ReadString();
                    return true;
                case 4 when ProtoInput.IsBytes(tag):
                    op = s.ReadString();
                    return true;
                case 5 when ProtoInput.IsBytes(tag):
                    var a = ReadAttribute(s.ReadBytes().ToByteArray());
                    attributes[a.Name] = a;
                    return true;
                case 7 when ProtoInput.IsBytes(tag):
                    domain = s.ReadString();
                    return true;
                default:
                    return false;
            }
        });

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
        ProtoInput.ForEachField(bytes, (field, tag, s) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsBytes(tag):
                    name = s.ReadString();
                    return true;
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed32:
                    f = s.ReadFloat();
                    return true;
                case 3 when ProtoInput.IsVarint(tag):
                    i = s.ReadInt64();
                    return true;
                case 4 when ProtoInput.IsBytes(tag):
                    str = s.ReadBytes().ToStringUtf8();
                    return true;
                case 5 when ProtoInput.IsBytes(tag):
                    tensor = OnnxTensorReader.Read(s.ReadBytes().ToByteArray(), $"attribute '{name}'");
                    return true;
                case 7:
                    ProtoInput.ReadFloats(s, tag, floats);
                    return true;
                case 8:
                    ProtoInput.ReadInt64s(s, tag, ints);
                    return true;
                case 20 when ProtoInput.IsVarint(tag):
                    type = s.ReadInt32();
                    return true;
                default:
                    return false;
            }
        });

        return new OnnxAttribute(name, type, f, i, str, tensor, [.. floats], [.. ints]);
    }
}

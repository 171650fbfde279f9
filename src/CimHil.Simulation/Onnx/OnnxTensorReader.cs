using System.Buffers.Binary;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Reads one TensorProto (an initializer or a Constant's value) into an <see cref="OnnxTensor"/>: typed repeated fields or
/// little-endian raw_data (onnx/onnx.proto, TensorProto), checked against the element count of its shape.
/// </summary>
internal static class OnnxTensorReader
{
    public static OnnxTensor Read(byte[] bytes, string source)
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
        ProtoInput.ForEachField(bytes, (field, tag, s) =>
        {
            switch (field)
            {
                case 1:
                    ProtoInput.ReadInt64s(s, tag, dims);
                    return true;
                case 2 when ProtoInput.IsVarint(tag):
                    type = s.ReadInt32();
                    return true;
                case 4:
                    ProtoInput.ReadFloats(s, tag, floats);
                    return true;
                case 5:
                case 7:
                    ProtoInput.ReadInt64s(s, tag, ints);
                    return true;
                case 8 when ProtoInput.IsBytes(tag):
                    name = s.ReadString();
                    return true;
                case 9 when ProtoInput.IsBytes(tag):
                    raw = s.ReadBytes().ToByteArray();
                    return true;
                case 10:
                    ProtoInput.ReadDoubles(s, tag, doubles);
                    return true;
                case 14 when ProtoInput.IsVarint(tag):
                    external = s.ReadInt32() == 1;
                    return true;
                default:
                    return false;
            }
        });

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
}

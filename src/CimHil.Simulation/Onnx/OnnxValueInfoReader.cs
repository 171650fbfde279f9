namespace CimHil.Simulation.Onnx;

/// <summary>Reads a ValueInfoProto (a graph input or output): its name, element type and shape with named dynamic dimensions.</summary>
internal static class OnnxValueInfoReader
{
    public static OnnxValueInfo Read(byte[] bytes)
    {
        // ValueInfoProto: name = 1, type = 2 → TypeProto: tensor_type = 1 → Tensor: elem_type = 1, shape = 2 →
        // TensorShapeProto: dim = 1 → Dimension: dim_value = 1, dim_param = 2.
        var name = string.Empty;
        var elem = 0;
        var dims = new List<long?>();
        var dimNames = new List<string>();
        ProtoInput.ForEachField(bytes, (field, tag, s) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsBytes(tag):
                    name = s.ReadString();
                    return true;
                case 2 when ProtoInput.IsBytes(tag):
                    ProtoInput.ForEachMessage(s.ReadBytes().ToByteArray(), 1, tensor => elem = ReadTensorType(tensor, dims, dimNames));
                    return true;
                default:
                    return false;
            }
        });

        return new OnnxValueInfo(name, elem, [.. dims], [.. dimNames]);
    }

    /// <summary>TypeProto.Tensor: the element type; its shape's dimensions are added to <paramref name="dims"/> and <paramref name="dimNames"/>.</summary>
    private static int ReadTensorType(byte[] bytes, List<long?> dims, List<string> dimNames)
    {
        var elem = 0;
        ProtoInput.ForEachField(bytes, (field, tag, t) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsVarint(tag):
                    elem = t.ReadInt32();
                    return true;
                case 2 when ProtoInput.IsBytes(tag):
                    ProtoInput.ForEachMessage(t.ReadBytes().ToByteArray(), 1, d => ReadDimension(d, dims, dimNames));
                    return true;
                default:
                    return false;
            }
        });

        return elem;
    }

    private static void ReadDimension(byte[] bytes, List<long?> dims, List<string> dimNames)
    {
        long? value = null;
        var param = string.Empty;
        ProtoInput.ForEachField(bytes, (field, tag, d) =>
        {
            switch (field)
            {
                case 1 when ProtoInput.IsVarint(tag):
                    value = d.ReadInt64();
                    return true;
                case 2 when ProtoInput.IsBytes(tag):
                    param = d.ReadString();
                    return true;
                default:
                    return false;
            }
        });

        dims.Add(value);
        dimNames.Add(param);
    }
}

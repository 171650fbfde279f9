using Google.Protobuf;

namespace CimHil.Simulation.Onnx;

/// <summary>Reads a ValueInfoProto (a graph input or output): its name, element type and shape with named dynamic dimensions.</summary>
internal static class OnnxValueInfoReader
{
    public static OnnxValueInfo Read(byte[] bytes)
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
                case 1 when ProtoInput.IsBytes(tag):
                    name = s.ReadString();
                    break;
                case 2 when ProtoInput.IsBytes(tag):
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
            if (WireFormat.GetTagFieldNumber(tag) != 1 || !ProtoInput.IsBytes(tag))
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
                    case 1 when ProtoInput.IsVarint(tt):
                        elem = t.ReadInt32();
                        break;
                    case 2 when ProtoInput.IsBytes(tt):
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
            if (WireFormat.GetTagFieldNumber(tag) != 1 || !ProtoInput.IsBytes(tag))
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
                    case 1 when ProtoInput.IsVarint(dt):
                        value = d.ReadInt64();
                        break;
                    case 2 when ProtoInput.IsBytes(dt):
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
}

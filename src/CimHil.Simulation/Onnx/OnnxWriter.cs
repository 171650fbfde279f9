using Google.Protobuf;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>
/// Writes an engine <see cref="Network"/> as an ONNX model. A network imported from ONNX is written as its source file with
/// only the weight initializers replaced (every node, attribute, opset, input, output and unknown field is copied byte for
/// byte, so the file stays what the user's exporter made); a built-in network is emitted as a graph of standard operators
/// (<see cref="OnnxGraphEmitter"/>). Field numbers are those of onnx/onnx.proto (IR version 8), written next to each use.
/// </summary>
public static class OnnxWriter
{
    /// <summary>
    /// Writes <paramref name="network"/> to <paramref name="path"/>. When <paramref name="sourceModel"/> is an .onnx file, the
    /// network must be that file's import (with the same <paramref name="foldBatchNorm"/>) and its current weights replace the
    /// file's initializers; otherwise the network's own graph is emitted. <paramref name="docString"/> becomes the model's
    /// doc_string (what the weights are, e.g. "worst-case chip at k = 2").
    /// </summary>
    public static async Task WriteAsync(string path, Network network, string? sourceModel, bool foldBatchNorm, string docString, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(network);
        byte[] bytes;
        if (OnnxImporter.IsOnnxPath(sourceModel))
        {
            var source = await File.ReadAllBytesAsync(sourceModel!, cancellationToken).ConfigureAwait(false);
            bytes = Rewrite(source, sourceModel!, network, new OnnxImportOptions { FoldBatchNorm = foldBatchNorm }, docString);
        }
        else
        {
            bytes = OnnxGraphEmitter.Emit(network, docString);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        await File.WriteAllBytesAsync(path, bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The ONNX file <paramref name="source"/> (named <paramref name="sourceName"/> in errors) with its weight initializers
    /// replaced by <paramref name="network"/>'s current weights; <paramref name="network"/> must have the structure the
    /// file imports to with <paramref name="options"/>.
    /// </summary>
    public static byte[] Rewrite(byte[] source, string sourceName, Network network, OnnxImportOptions options, string docString)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(network);
        var model = OnnxReader.Parse(source, sourceName);
        var import = OnnxImporter.Import(model, options, sourceName);
        RequireSameStructure(import.Network, network, sourceName);
        var plan = OnnxWeightWriteBack.Plan(model, import.Layers, network, sourceName);
        return ReplaceInitializers(source, plan, docString);
    }

    /// <summary>Encodes a float32 TensorProto (dims = 1, data_type = 2, name = 8, raw_data = 9 little-endian).</summary>
    internal static ProtoOutput Tensor(string name, IReadOnlyList<long> dims, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        for (var k = 0; k < values.Length; k++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * k), values[k]);
        }

        return new ProtoOutput().PackedInt64s(1, dims).Int64(2, 1).String(8, name).Bytes(9, raw);
    }

    private static void RequireSameStructure(Network imported, Network network, string sourceName)
    {
        var expected = imported.NamedParameters().Concat(imported.NamedBuffers()).Select(p => $"{p.Path}[{p.Tensor.Length}]").ToList();
        var given = network.NamedParameters().Concat(network.NamedBuffers()).Select(p => $"{p.Path}[{p.Tensor.Length}]").ToList();
        if (!expected.SequenceEqual(given))
        {
            var missing = expected.Except(given).Concat(given.Except(expected)).Take(4);
            throw new ArgumentException($"{sourceName}: the network to write is not this file's import (parameters differ: {string.Join(", ", missing)}); import the file with the same --fold-batchnorm setting.", nameof(network));
        }
    }

    private static byte[] ReplaceInitializers(byte[] source, OnnxWeightPlan plan, string docString)
    {
        // ModelProto: doc_string = 6 (replaced), graph = 7 (rewritten); every other field is copied as it is.
        var model = ProtoOutput.CopyFields(source, (field, value, output) =>
        {
            if (field == 7)
            {
                output.Bytes(7, ReplaceInGraph(value, plan));
            }

            return field is 6 or 7;
        });
        return model.String(6, docString).ToArray();
    }

    private static byte[] ReplaceInGraph(byte[] graph, OnnxWeightPlan plan)
    {
        // GraphProto: node = 1, initializer = 5 (TensorProto: name = 8); only the nodes with renamed inputs and the
        // initializers being replaced are re-encoded, and the added initializers are appended.
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var nodeIndex = 0;
        var output = ProtoOutput.CopyFields(graph, (field, value, o) =>
        {
            if (field == 5 && plan.Replace.TryGetValue(TensorName(value), out var t))
            {
                o.Message(5, Tensor(t.Name, t.Dims, t.Floats));
                replaced.Add(t.Name);
                return true;
            }

            if (field != 1)
            {
                return false;
            }

            var index = nodeIndex++;
            var renames = plan.Renames.Where(r => r.Key.Node == index).ToDictionary(r => r.Key.Input, r => r.Value);
            if (renames.Count == 0)
            {
                return false;
            }

            o.Bytes(1, RenameInputs(value, renames));
            return true;
        });

        var lost = plan.Replace.Keys.Where(k => !replaced.Contains(k)).ToList();
        if (lost.Count > 0)
        {
            throw new InvalidOperationException($"initializers {string.Join(", ", lost)} were not found in the graph; nothing was written.");
        }

        foreach (var t in plan.Add)
        {
            output.Message(5, Tensor(t.Name, t.Dims, t.Floats));
        }

        return output.ToArray();
    }

    private static byte[] RenameInputs(byte[] node, Dictionary<int, string> renames)
    {
        // NodeProto: input = 1; every other field is copied as it is.
        var index = 0;
        return ProtoOutput.CopyFields(node, (field, value, o) =>
        {
            if (field != 1 || renames.GetValueOrDefault(index++) is not { } name)
            {
                return false;
            }

            o.String(1, name);
            return true;
        }).ToArray();
    }

    private static string TensorName(byte[] tensor)
    {
        var input = new CodedInputStream(tensor);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 8 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                return input.ReadString();
            }

            input.SkipLastField();
        }

        return string.Empty;
    }
}

using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CimHil.Core.Config;
using CimHil.Core.IO;

namespace CimHil.Simulation.Engine;

/// <summary>One tensor of a safetensors file: dtype name ("F32", "I64", …), shape and raw little-endian bytes.</summary>
public sealed record SafetensorsEntry(string DType, int[] Shape, byte[] Bytes)
{
    /// <summary>An F32 entry from float data.</summary>
    public static SafetensorsEntry FromFloats(float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var bytes = new byte[data.Length * 4];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        }

        return new SafetensorsEntry("F32", shape, bytes);
    }

    /// <summary>An I64 entry (e.g. BatchNorm's num_batches_tracked, shape []).</summary>
    public static SafetensorsEntry FromInt64(long[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var bytes = new byte[data.Length * 8];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), data[i]);
        }

        return new SafetensorsEntry("I64", shape, bytes);
    }

    /// <summary>The values as float32 (F32, F64, F16, BF16, I64 and I32 are converted).</summary>
    public float[] ToFloats()
    {
        var n = Tensor.CountOf(Shape);
        var v = new float[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = DType switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(Bytes.AsSpan(i * 4)),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(Bytes.AsSpan(i * 8)),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(Bytes.AsSpan(i * 2)),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(i * 2)) << 16),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(Bytes.AsSpan(i * 8)),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(i * 4)),
                _ => throw new NotSupportedException($"safetensors dtype '{DType}' cannot be converted to float32."),
            };
        }

        return v;
    }

    /// <summary>The values as int64 (I64, I32).</summary>
    public long[] ToInt64()
    {
        var n = Tensor.CountOf(Shape);
        var v = new long[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = DType switch
            {
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(Bytes.AsSpan(i * 8)),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(i * 4)),
                _ => throw new NotSupportedException($"safetensors dtype '{DType}' is not an integer type."),
            };
        }

        return v;
    }
}

/// <summary>A safetensors file's content: named tensors and the optional string map "__metadata__".</summary>
public sealed record SafetensorsFile(IReadOnlyDictionary<string, SafetensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>The file is not valid safetensors; the message names the file and the problem.</summary>
public sealed class SafetensorsFormatException(string path, string problem) : Exception($"{path}: not a valid safetensors file: {problem}")
{
    /// <summary>The file.</summary>
    public string FilePath { get; } = path;

    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;
}

/// <summary>
/// Reader/writer of the safetensors format (huggingface/safetensors README, "Format"): an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the
/// raw little-endian data with offsets relative to its start.
/// </summary>
/// <remarks>
/// The writer mirrors the reference implementation's layout so that files are byte-identical to
/// safetensors.torch.save_file's: tensors ordered by dtype alignment (larger first) then name, compact JSON with
/// "__metadata__" first, header padded with spaces to a multiple of 8 bytes.
/// </remarks>
public static class Safetensors
{
    // Header size limit of the reference implementation (100 MB), which guards against absurd allocations.
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> DTypeSize = new()
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4, ["F64"] = 8, ["I64"] = 8, ["U64"] = 8,
    };

    // Declaration order of the Dtype enum in the reference implementation (safetensors/src/tensor.rs); the writer sorts
    // by it descending, which puts 8-byte types first and keeps every tensor aligned.
    private static readonly string[] DTypeOrder = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

    /// <summary>Serialises tensors (and optional metadata) to bytes.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, SafetensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = tensors
            .OrderByDescending(t => Array.IndexOf(DTypeOrder, t.Value.DType))
            .ThenBy(t => t.Key, StringComparer.Ordinal)
            .ToList();
        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, e) in ordered)
            {
                if (!DTypeSize.TryGetValue(e.DType, out var size))
                {
                    throw new ArgumentException($"Tensor '{name}': unknown safetensors dtype '{e.DType}'.", nameof(tensors));
                }

                if ((long)Tensor.CountOf(e.Shape) * size != e.Bytes.Length)
                {
                    throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", e.Shape)}] of {e.DType} needs {(long)Tensor.CountOf(e.Shape) * size} bytes, got {e.Bytes.Length}.", nameof(tensors));
                }

                w.WriteStartObject(name);
                w.WriteString("dtype", e.DType);
                w.WriteStartArray("shape");
                foreach (var d in e.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.Bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.Bytes.Length;
            }

            w.WriteEndObject();
        }

        var header = headerStream.ToArray();
        var padded = (header.Length + 7) / 8 * 8;
        using var output = new MemoryStream();
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        output.Write(len);
        output.Write(header);
        for (var i = header.Length; i < padded; i++)
        {
            output.WriteByte((byte)' ');
        }

        foreach (var (_, e) in ordered)
        {
            output.Write(e.Bytes);
        }

        return output.ToArray();
    }

    /// <summary>Parses a safetensors byte image; <paramref name="source"/> names it in errors.</summary>
    public static SafetensorsFile Deserialize(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 8)
        {
            throw new SafetensorsFormatException(source, $"{bytes.Length} bytes is shorter than the 8-byte header length.");
        }

        var n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderBytes || (long)n > bytes.Length - 8)
        {
            throw new SafetensorsFormatException(source, $"header length {n} exceeds the file ({bytes.Length} bytes) or the {MaxHeaderBytes}-byte limit.");
        }

        var data = bytes[(8 + (int)n)..];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.Slice(8, (int)n).ToArray());
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(source, $"header is not valid JSON ({ex.Message}).");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsFormatException(source, "header is not a JSON object.");
            }

            // A tensor named twice would silently load the second entry's bytes.
            if (JsonDuplicateKeys.Find(doc.RootElement) is { } duplicate)
            {
                throw new SafetensorsFormatException(source, $"header: {duplicate.JsonPath}: {duplicate.Problem}.");
            }

            var tensors = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    foreach (var m in p.Value.EnumerateObject())
                    {
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new SafetensorsFormatException(source, $"__metadata__.{m.Name} is not a string.");
                    }

                    continue;
                }

                tensors[p.Name] = ReadEntry(p, data, source);
            }

            return new SafetensorsFile(tensors, metadata);
        }
    }

    /// <summary>Writes a file.</summary>
    public static async Task WriteAsync(string path, IReadOnlyDictionary<string, SafetensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        // Atomic: a model or Δ file that a crash cut short would otherwise be read back as a damaged file on resume.
        await AtomicFile.WriteAllBytesAsync(path, Serialize(tensors, metadata), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a file; a missing file raises <see cref="FileNotFoundException"/> naming it.</summary>
    public static async Task<SafetensorsFile> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Safetensors file not found: {Path.GetFullPath(path)}", path);
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Deserialize(bytes, path);
    }

    private static SafetensorsEntry ReadEntry(JsonProperty p, ReadOnlySpan<byte> data, string source)
    {
        try
        {
            var dtype = p.Value.GetProperty("dtype").GetString() ?? string.Empty;
            if (!DTypeSize.TryGetValue(dtype, out var size))
            {
                throw new SafetensorsFormatException(source, $"tensor '{p.Name}' has unknown dtype '{dtype}'.");
            }

            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > data.Length)
            {
                throw new SafetensorsFormatException(source, $"tensor '{p.Name}' has data_offsets [{string.Join(", ", offs)}] outside the {data.Length}-byte data section.");
            }

            var expected = (long)Tensor.CountOf(shape) * size;
            if (offs[1] - offs[0] != expected)
            {
                throw new SafetensorsFormatException(source, $"tensor '{p.Name}' {dtype}[{string.Join(", ", shape)}] needs {expected} bytes, its offsets span {offs[1] - offs[0]}.");
            }

            return new SafetensorsEntry(dtype, shape, data[(int)offs[0]..(int)offs[1]].ToArray());
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SafetensorsFormatException(source, $"tensor '{p.Name}' entry is malformed ({ex.Message}).");
        }
    }
}

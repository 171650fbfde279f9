using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CimHil.Simulation.Data;

/// <summary>
/// Reads and writes NumPy .npy files (format versions 1–3: magic "\x93NUMPY", header length, a Python-literal dict with
/// 'descr', 'fortran_order' and 'shape'; numpy/lib/format.py) for little-endian float32 ('&lt;f4') and int64 ('&lt;i8')
/// C-order arrays: what <c>np.save(path, x.astype(np.float32))</c> writes.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads an .npy file.</summary>
    public static async Task<NpyArray> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"NumPy file '{path}' does not exist.", path);
        }

        return Parse(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), path);
    }

    /// <summary>Parses .npy bytes; <paramref name="source"/> names the file in errors.</summary>
    public static NpyArray Parse(byte[] bytes, string source = "<npy>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new DatasetFormatException(source, $"not a NumPy .npy file (no \\x93NUMPY magic).");
        }

        int major = bytes[6], headerStart, headerLength;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else if (major is 2 or 3)
        {
            headerLength = bytes.Length < 12 ? int.MaxValue : (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            headerStart = 12;
        }
        else
        {
            throw new DatasetFormatException(source, $".npy format version {major} is not supported (1–3).");
        }

        if (headerStart + (long)headerLength > bytes.Length)
        {
            throw new DatasetFormatException(source, $"the header ({headerLength} bytes) runs past the end of the file ({bytes.Length} bytes); the file is truncated.");
        }

        var header = Encoding.UTF8.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header) is { Success: true } d ? d.Groups[1].Value : throw new DatasetFormatException(source, $"header has no 'descr': {header.Trim()}");
        if (FortranPattern().Match(header) is { Success: true } f && f.Groups[1].Value == "True")
        {
            throw new DatasetFormatException(source, $"Fortran-ordered arrays are not supported; save np.ascontiguousarray(x).");
        }

        var shapeMatch = ShapePattern().Match(header);
        if (!shapeMatch.Success)
        {
            throw new DatasetFormatException(source, $"header has no 'shape': {header.Trim()}");
        }

        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var count = shape.Aggregate(1L, (a, v) => a * v);
        var data = bytes.AsSpan(headerStart + headerLength);
        var size = descr switch
        {
            "<f4" => 4,
            "<i8" => 8,
            _ => throw new DatasetFormatException(source, $"dtype '{descr}' is not supported; inputs must be float32 ('<f4', x.astype(np.float32)) and labels int64 ('<i8', y.astype(np.int64))."),
        };
        if (data.Length != count * size)
        {
            throw new DatasetFormatException(source, $"shape ({string.Join(", ", shape)}) of {descr} needs {count * size} data bytes, the file has {data.Length}{(data.Length < count * size ? " (truncated)" : string.Empty)}.");
        }

        if (size == 4)
        {
            var v = new float[count];
            for (var i = 0; i < v.Length; i++)
            {
                v[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
            }

            return new NpyArray(shape, descr, v, null);
        }

        var l = new long[count];
        for (var i = 0; i < l.Length; i++)
        {
            l[i] = BinaryPrimitives.ReadInt64LittleEndian(data[(8 * i)..]);
        }

        return new NpyArray(shape, descr, null, l);
    }

    /// <summary>Serialises a float32 ('&lt;f4') or int64 ('&lt;i8') array as .npy version 1.0.</summary>
    public static byte[] Serialize(NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        var shape = array.Shape.Length == 1 ? $"({array.Shape[0]},)" : $"({string.Join(", ", array.Shape)})";
        var descr = array.Floats is not null ? "<f4" : "<i8";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";

        // The header is padded with spaces and ends in '\n' so the data starts on a 64-byte boundary (format.py).
        var total = 10 + dict.Length + 1;
        var padded = dict + new string(' ', (64 - (total % 64)) % 64) + "\n";
        using var ms = new MemoryStream();
        ms.Write(Magic);
        ms.Write([1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)padded.Length);
        ms.Write(len);
        ms.Write(Encoding.ASCII.GetBytes(padded));
        Span<byte> b = stackalloc byte[8];
        if (array.Floats is { } f)
        {
            foreach (var v in f)
            {
                BinaryPrimitives.WriteSingleLittleEndian(b, v);
                ms.Write(b[..4]);
            }
        }
        else
        {
            foreach (var v in array.Int64s ?? [])
            {
                BinaryPrimitives.WriteInt64LittleEndian(b, v);
                ms.Write(b);
            }
        }

        return ms.ToArray();
    }

    /// <summary>
    /// Loads a test set from an inputs file (float32 [N, …], already normalised) and a labels file (int64 [N], values in
    /// [0, <paramref name="classCount"/>)); when <paramref name="sampleShape"/> is given each sample must have that shape.
    /// </summary>
    public static async Task<Dataset> LoadDatasetAsync(string inputsPath, string labelsPath, int classCount, IReadOnlyList<int>? sampleShape = null, CancellationToken cancellationToken = default)
    {
        var x = await LoadAsync(inputsPath, cancellationToken).ConfigureAwait(false);
        var y = await LoadAsync(labelsPath, cancellationToken).ConfigureAwait(false);
        if (x.Floats is null)
        {
            throw new DatasetFormatException(inputsPath, $"inputs are {x.Descr}; float32 ('<f4') inputs are needed (x.astype(np.float32)).");
        }

        if (y.Int64s is null)
        {
            throw new DatasetFormatException(labelsPath, $"labels are {y.Descr}; int64 ('<i8') labels are needed (y.astype(np.int64)).");
        }

        if (y.Shape.Length != 1)
        {
            throw new DatasetFormatException(labelsPath, $"labels have shape ({string.Join(", ", y.Shape)}); a vector [N] is needed.");
        }

        if (x.Shape.Length < 2 || x.Shape[0] != y.Shape[0])
        {
            throw new DatasetFormatException(inputsPath, $"inputs of shape ({string.Join(", ", x.Shape)}) do not match {y.Shape[0]} labels in {labelsPath} (inputs [N, …] with N = {y.Shape[0]} needed).");
        }

        var sample = x.Shape[1..];
        if (sampleShape is not null && !sample.SequenceEqual(sampleShape))
        {
            throw new DatasetFormatException(inputsPath, $"samples have shape [{string.Join(", ", sample)}], the model expects [{string.Join(", ", sampleShape)}].");
        }

        var labels = new int[y.Int64s.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            var v = y.Int64s[i];
            labels[i] = v >= 0 && v < classCount ? (int)v : throw new DatasetFormatException(labelsPath, $"label [{i}] = {v} is outside [0, {classCount}) for a {classCount}-class model.");
        }

        return new Dataset(x.Floats, labels, sample, classCount);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}

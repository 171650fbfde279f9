using System.Buffers.Binary;
using System.IO.Compression;

namespace CimHil.Simulation.Data;

/// <summary>An IDX file is missing, truncated or not of the expected type; the message names the file.</summary>
public sealed class DatasetFormatException(string path, string problem) : Exception($"{path}: {problem}")
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>An unsigned-byte IDX array: dimensions and raw values.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Values);

/// <summary>
/// Reader of the IDX format of LeCun's MNIST page (also used by Fashion-MNIST): magic 0x0000 | type | rank, big-endian
/// int32 dimensions, then the values. Files ending in ".gz" are decompressed on the fly.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an unsigned-byte IDX file (optionally gzip'd).</summary>
    public static async Task<IdxArray> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(Path.GetFullPath(path), "file not found.");
        }

        byte[] raw;
        try
        {
            await using var file = File.OpenRead(path);
            await using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var ms = new MemoryStream();
            await s.CopyToAsync(ms, cancellationToken).ConfigureAwait(false);
            raw = ms.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new DatasetFormatException(path, $"not a valid gzip stream ({ex.Message}).");
        }

        return Parse(raw, path);
    }

    /// <summary>Parses an uncompressed IDX image.</summary>
    public static IdxArray Parse(byte[] raw, string source)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (raw.Length < 4 || raw[0] != 0 || raw[1] != 0)
        {
            throw new DatasetFormatException(source, "bad IDX magic number (expected 0x0000 followed by type and rank).");
        }

        if (raw[2] != UnsignedByteType)
        {
            throw new DatasetFormatException(source, $"IDX element type 0x{raw[2]:X2} is not unsigned byte (0x08).");
        }

        var rank = raw[3];
        if (rank < 1 || raw.Length < 4 + (4 * rank))
        {
            throw new DatasetFormatException(source, $"IDX rank {rank} with a {raw.Length}-byte file.");
        }

        var dims = new int[rank];
        long count = 1;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(4 + (4 * i)));
            if (dims[i] < 0)
            {
                throw new DatasetFormatException(source, $"IDX dimension {i} is negative ({dims[i]}).");
            }

            count *= dims[i];
        }

        var start = 4 + (4 * rank);
        if (raw.Length - start != count)
        {
            throw new DatasetFormatException(source, $"IDX header [{string.Join(", ", dims)}] declares {count} values but the file holds {raw.Length - start}.");
        }

        return new IdxArray(dims, raw[start..]);
    }
}

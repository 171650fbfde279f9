using System.Security.Cryptography;

namespace CimHil.Core.IO;

/// <summary>The SHA-256 of a file, the identity provenance records carry (imported files, a source store, a model).</summary>
public static class FileHash
{
    /// <summary>SHA-256 of the file at <paramref name="path"/> as lower-case hex, read in chunks (a store can be large).</summary>
    public static async Task<string> Sha256HexAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }
}

using System.Text;

namespace CimHil.Core.IO;

/// <summary>
/// Writes result files so that a reader (a resumed run, another tool) sees either the old file or the complete new one,
/// never a half-written one: the content goes to a temporary file in the same directory, is flushed to the disk, and
/// is then renamed over the target (rename(2) replaces a file atomically within one file system).
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically (directories created).</summary>
    public static Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        WriteAsync(path, (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), cancellationToken);

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) to <paramref name="path"/> atomically.</summary>
    public static Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        return WriteAllBytesAsync(path, Utf8.GetBytes(text), cancellationToken);
    }

    /// <summary>Synchronous <see cref="WriteAllTextAsync"/>, for the few callers with a synchronous API.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Utf8.GetBytes(text);
        var tmp = BeginWrite(path);
        try
        {
            using (var stream = OpenTemporary(tmp, useAsync: false))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Lets <paramref name="write"/> fill a temporary file, then renames it over <paramref name="path"/>. When
    /// <paramref name="write"/> throws (or the token is cancelled), the temporary file is removed and an existing
    /// file at <paramref name="path"/> is left exactly as it was.
    /// </summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var tmp = BeginWrite(path);
        try
        {
            var stream = OpenTemporary(tmp, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();

                // fsync before the rename: otherwise a power loss can leave the new name pointing at blocks never written.
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>A writer whose text replaces <paramref name="path"/> only when it is committed (see <see cref="AtomicTextWriter"/>).</summary>
    public static AtomicTextWriter CreateText(string path)
    {
        var tmp = BeginWrite(path);
        return new AtomicTextWriter(Path.GetFullPath(path), tmp, OpenTemporary(tmp, useAsync: false));
    }

    /// <summary>The temporary file's name: hidden, in the target's directory (a rename across file systems is not atomic).</summary>
    private static string BeginWrite(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }

    private static FileStream OpenTemporary(string tmp, bool useAsync) =>
        new(tmp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = useAsync ? FileOptions.Asynchronous : FileOptions.None,
        });

    internal static void TryDelete(string tmp)
    {
        try
        {
            File.Delete(tmp);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden .tmp file is harmless; the target was never touched.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}

using System.Text;

namespace CimHil.Core.IO;

/// <summary>
/// A text writer over a temporary file that replaces its target only when it is disposed after <see cref="Commit"/>:
/// disposed without a commit (an exception, a cancellation) it deletes the temporary file and leaves the target as it
/// was. For writers that stream rows (CSV export) rather than build the whole file in memory; see <see cref="AtomicFile"/>.
/// </summary>
public sealed class AtomicTextWriter : StreamWriter
{
    private readonly string _path;
    private readonly string _temporary;
    private bool _commit;
    private bool _done;

    internal AtomicTextWriter(string path, string temporary, FileStream stream)
        : base(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false))
    {
        _path = path;
        _temporary = temporary;
    }

    /// <summary>
    /// Marks the content complete: on dispose it is flushed to the disk and renamed over the target. The rename waits for
    /// dispose because wrappers (a CSV writer) flush their own buffers into this writer when they are disposed.
    /// </summary>
    public void Commit() => _commit = true;

    protected override void Dispose(bool disposing)
    {
        if (_done || !disposing)
        {
            base.Dispose(disposing);
            return;
        }

        _done = true;
        if (!_commit)
        {
            base.Dispose(true);
            AtomicFile.TryDelete(_temporary);
            return;
        }

        try
        {
            Flush();
            ((FileStream)BaseStream).Flush(flushToDisk: true);
            base.Dispose(true);
            File.Move(_temporary, _path, overwrite: true);
        }
        catch
        {
            AtomicFile.TryDelete(_temporary);
            throw;
        }
    }
}

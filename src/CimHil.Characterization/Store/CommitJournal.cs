using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CimHil.Characterization.Store;

/// <summary>How far a store's commits had got: the commit sequence number and the cumulative unit and record counts.</summary>
public readonly record struct CommitMark(long Sequence, long Units, long Measurements);

/// <summary>The last intact mark of a commit journal, the run it belongs to, and where its intact part ends.</summary>
internal sealed record CommitJournalState(string RunId, CommitMark Last, long IntactLength);

/// <summary>
/// An append-only file next to the store (<c>&lt;store&gt;.commits</c>) that records every acknowledged commit, fsync'd
/// after each one. It exists because SQLite cannot tell us that it lost committed transactions: when a frame of the
/// write-ahead log fails its checksum, SQLite reads the log only up to the frame before and carries on with an older
/// snapshot, without an error (https://www.sqlite.org/walformat.html, "Recovery"). The journal is outside the part SQLite
/// can drop, so on open a store that holds fewer commits or units than were acknowledged is recognised and refused.
/// Layout: a 48-byte header ("CIMHCMT1", the run id as 32 ASCII hex digits, 8 zero bytes), then 32-byte records
/// (sequence, units, records as little-endian int64, then the first 8 bytes of the SHA-256 of those 24 bytes). A record
/// cut short or damaged (the process died while appending) ends the journal; it is cut off before the next append.
/// </summary>
internal sealed class CommitJournal : IDisposable
{
    /// <summary>Appended to the store's path to name its journal.</summary>
    public const string Suffix = ".commits";

    private const int HeaderBytes = 48;
    private const int RecordBytes = 32;
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("CIMHCMT1");

    private readonly FileStream _file;
    private readonly byte[] _record = new byte[RecordBytes];

    private CommitJournal(string path, FileStream file)
    {
        Path = path;
        _file = file;
    }

    public string Path { get; }

    public static string PathOf(string storePath) => storePath + Suffix;

    /// <summary>The journal's last intact mark, or null when there is no journal or it is not one (then it guards nothing).</summary>
    public static CommitJournalState? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            return null;
        }

        var runId = Encoding.ASCII.GetString(bytes, Magic.Length, 32);
        var last = default(CommitMark);
        long intact = HeaderBytes;
        Span<byte> check = stackalloc byte[32];
        for (var at = HeaderBytes; at + RecordBytes <= bytes.Length; at += RecordBytes)
        {
            var payload = bytes.AsSpan(at, 24);
            SHA256.HashData(payload, check);
            if (!check[..8].SequenceEqual(bytes.AsSpan(at + 24, 8)))
            {
                break;
            }

            last = new CommitMark(
                BinaryPrimitives.ReadInt64LittleEndian(payload),
                BinaryPrimitives.ReadInt64LittleEndian(payload[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(payload[16..]));
            intact = at + RecordBytes;
        }

        return new CommitJournalState(runId, last, intact);
    }

    /// <summary>Starts a new journal (replacing any file of that name) holding <paramref name="mark"/>.</summary>
    public static CommitJournal Create(string path, string runId, CommitMark mark)
    {
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        try
        {
            var header = new byte[HeaderBytes];
            Magic.CopyTo(header, 0);
            Encoding.ASCII.GetBytes(runId.PadRight(32)[..32]).CopyTo(header, Magic.Length);
            file.Write(header);
            var journal = new CommitJournal(path, file);
            journal.Append(mark);
            return journal;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing journal for appending after its intact part (a torn last record is cut off).</summary>
    public static CommitJournal Continue(string path, CommitJournalState state)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        try
        {
            file.SetLength(state.IntactLength);
            file.Position = state.IntactLength;
            return new CommitJournal(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Appends one mark and waits until it is on the disk (fsync): only then is the commit acknowledged.</summary>
    public void Append(CommitMark mark)
    {
        var r = _record.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(r, mark.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(r[8..], mark.Units);
        BinaryPrimitives.WriteInt64LittleEndian(r[16..], mark.Measurements);
        Span<byte> check = stackalloc byte[32];
        SHA256.HashData(r[..24], check);
        check[..8].CopyTo(r[24..]);
        _file.Write(_record);
        _file.Flush(flushToDisk: true);
    }

    public void Dispose() => _file.Dispose();
}

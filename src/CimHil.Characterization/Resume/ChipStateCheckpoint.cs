using CimHil.Characterization.Store;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Resume;

/// <summary>
/// Keeps a stateful chip's saved state (the emulator's) next to the measurement store, always matching a committed store.
/// Before each commit the state is written to <c>STORE.chip-state.pending</c>, tagged with the commit mark the store will hold;
/// after the commit it is renamed over <c>STORE.chip-state</c>. A kill before the commit leaves the old file matching the
/// old store; a kill between commit and rename leaves the pending file matching the new one. On resume the file whose
/// tag equals the store's totals is loaded, so the emulated array is exactly the one whose measurements are stored.
/// </summary>
/// <remarks>
/// The state is written synchronously inside the store's (synchronous) commit and not fsync'd: a killed process loses
/// nothing that reached the page cache, and the SQLite store itself commits with synchronous=NORMAL, no stronger.
/// </remarks>
public sealed class ChipStateCheckpoint : IStoreCommitListener
{
    private const string Header = "CimHil chip state v1";
    private readonly IStatefulChip _chip;

    public ChipStateCheckpoint(IStatefulChip chip, string storePath)
    {
        ArgumentNullException.ThrowIfNull(chip);
        _chip = chip;
        FilePath = PathFor(storePath);
    }

    /// <summary>The confirmed state file.</summary>
    public string FilePath { get; }

    private string PendingPath => FilePath + ".pending";

    /// <summary>The state file of the store at <paramref name="storePath"/>.</summary>
    public static string PathFor(string storePath) => storePath + ".chip-state";

    public void BeforeCommit(CommitMark after) => Write(PendingPath, after);

    public void AfterCommit(CommitMark after) => File.Move(PendingPath, FilePath, overwrite: true);

    /// <summary>Saves the state as matching a store that holds <paramref name="totals"/> now (at the start of a session).</summary>
    public void Save(CommitMark totals)
    {
        // Not through the pending file: after a kill between a commit and its rename, the pending file is the only state
        // that fits the store, and a resume that rewrote it in place and was killed too lost it for good (found by the
        // random-kill run test: "measurements.db.chip-state.pending: truncated").
        var saving = FilePath + ".saving";
        Write(saving, totals);
        File.Move(saving, FilePath, overwrite: true);
    }

    /// <summary>
    /// Loads the saved state that matches <paramref name="totals"/>, if one does: true when the chip now holds it.
    /// <paramref name="found"/> says what was there, for the log and for a refusal's evidence.
    /// </summary>
    public bool TryRestore(CommitMark totals, out string found)
    {
        var seen = new List<string>();
        foreach (var path in new[] { FilePath, PendingPath })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            CommitMark tag;
            try
            {
                if (reader.ReadString() != Header)
                {
                    seen.Add($"{Path.GetFileName(path)}: not a chip state file");
                    continue;
                }

                tag = new CommitMark(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
            }
            catch (EndOfStreamException)
            {
                seen.Add($"{Path.GetFileName(path)}: truncated");
                continue;
            }

            if (tag != totals)
            {
                seen.Add($"{Path.GetFileName(path)} fits a store of {Describe(tag)}, the store holds {Describe(totals)}");
                continue;
            }

            try
            {
                _chip.LoadState(stream);
            }
            catch (ChipStateMismatchException ex)
            {
                // Its tag fits but the state behind it is damaged (a write cut short); the chip is left as it was, and
                // the other file may still fit.
                seen.Add($"{Path.GetFileName(path)}: {ex.Message}");
                continue;
            }

            found = $"{Path.GetFileName(path)} ({Describe(tag)})";
            return true;
        }

        found = seen.Count == 0 ? "no saved chip state" : string.Join("; ", seen);
        return false;
    }

    private static string Describe(CommitMark m) => $"{m.Sequence} commits, {m.Units} units, {m.Measurements} records";

    private void Write(string path, CommitMark tag)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Header);
            writer.Write(tag.Sequence);
            writer.Write(tag.Units);
            writer.Write(tag.Measurements);
        }

        _chip.SaveState(stream);
    }
}

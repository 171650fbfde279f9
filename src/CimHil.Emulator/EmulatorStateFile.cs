using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.IO;

namespace CimHil.Emulator;

/// <summary>
/// The in-process emulator's array state kept between commands (<c>emulator.stateFile</c>): a fabricated chip keeps its
/// formed filaments and programmed levels when the program driving it exits, so <c>program</c> → <c>read</c> →
/// <c>characterize</c> on the emulator must see each other's effects too. <c>cimhil emulator reset</c> deletes the file.
/// </summary>
public static class EmulatorStateFile
{
    /// <summary>The config key, under <c>emulator</c>.</summary>
    public const string Key = "stateFile";

    /// <summary>The command that starts over from the pristine array.</summary>
    public const string ResetCommand = "cimhil emulator reset";

    /// <summary>
    /// The state file <paramref name="config"/> names, a relative path taken from the config file's folder (so the
    /// shipped config keeps its state in the repository whatever the current folder); null when none is configured.
    /// </summary>
    public static string? PathFor(HilConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var emulator = config.Section("emulator");
        if (!emulator.Has(Key))
        {
            return null;
        }

        var path = emulator.String(Key);
        var folder = config.SourcePath is { } source ? Path.GetDirectoryName(Path.GetFullPath(source))! : Directory.GetCurrentDirectory();
        return Path.GetFullPath(path, folder);
    }

    /// <summary>Loads the state saved at <paramref name="path"/> into <paramref name="chip"/>; false (pristine chip) when there is none yet.</summary>
    public static async Task<bool> LoadAsync(EmulatedChip chip, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chip);
        if (!File.Exists(path))
        {
            return false;
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            chip.LoadState(stream);
            return true;
        }
        catch (ChipStateMismatchException ex)
        {
            // A data file that is wrong (exit 3), not a chip fault: the user's remedy is to start over.
            throw new InvalidDataException(
                $"{path}: the emulator state file cannot be used ({ex.Message}); run '{ResetCommand}' to start over from the pristine array", ex);
        }
    }

    /// <summary>Writes <paramref name="chip"/>'s state to <paramref name="path"/> atomically: a crash leaves the old state or the new, never half.</summary>
    public static Task SaveAsync(EmulatedChip chip, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chip);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return AtomicFile.WriteAsync(
            path,
            (stream, _) =>
            {
                chip.SaveState(stream);
                return Task.CompletedTask;
            },
            cancellationToken);
    }
}

using CimHil.Core.Chip;

namespace CimHil.Characterization.Resume;

/// <summary>
/// A resume found a chip that is not the one whose measurements are stored (another identity, or cells that no longer
/// hold what was measured: a restarted emulator, a swapped die). Nothing was applied; the message carries the evidence.
/// </summary>
public sealed class ChipChangedException(string message) : ChipException(message)
{
}

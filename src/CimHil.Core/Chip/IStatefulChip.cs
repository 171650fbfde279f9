namespace CimHil.Core.Chip;

/// <summary>
/// A chip whose whole dynamic state can be written out and read back: the emulator. A fabricated array keeps its
/// state (formed filaments, programmed levels) when the software that drives it crashes; an emulator living in a process
/// that was killed does not, unless its state is saved. Characterisation saves it with every committed batch, so a
/// resumed emulated run continues on the same array, as it would on hardware.
/// </summary>
public interface IStatefulChip : IChip
{
    /// <summary>Writes the dynamic state (every cell, every random-stream counter, the clock) to <paramref name="destination"/>.</summary>
    void SaveState(Stream destination);

    /// <summary>
    /// Replaces the dynamic state with one written by <see cref="SaveState"/> of a chip fabricated identically.
    /// Throws <see cref="ChipStateMismatchException"/> when the state belongs to another chip or is damaged.
    /// </summary>
    void LoadState(Stream source);
}

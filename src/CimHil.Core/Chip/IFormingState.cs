namespace CimHil.Core.Chip;

/// <summary>
/// A chip that can tell which of its cells are formed without touching them (the emulator). Hardware cannot, short of
/// a read that is itself ambiguous, so a command warns about unformed cells only where the chip can say.
/// </summary>
public interface IFormingState : IChip
{
    /// <summary>Whether <paramref name="cell"/> has been formed (always true for a technology that needs no forming).</summary>
    bool IsFormed(CellAddress cell);
}

using CimHil.Core.Chip;

namespace CimHil.Characterization.Resume;

/// <summary>One re-read cell of a resume check: what the store says it held, what it reads now, and whether they agree.</summary>
public sealed record FingerprintCell(CellAddress Cell, double StoredS, double ReadS, bool Agrees)
{
    public override string ToString() =>
        FormattableString.Invariant($"({Cell.Row},{Cell.Column}) stored {StoredS * 1e6:G4} µS, reads {ReadS * 1e6:G4} µS");
}

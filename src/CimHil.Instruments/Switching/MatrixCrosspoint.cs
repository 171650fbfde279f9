using System.Globalization;

namespace CimHil.Instruments.Switching;

/// <summary>
/// One crosspoint of a Keithley 707B: card slot 1–6, card row A–H, card column 1–12, named as the 707B names channels
/// (<c>1A02</c>; 707B Reference Manual 707B-901-01, "Channel list parameter for remote commands").
/// </summary>
public readonly record struct MatrixCrosspoint(int Slot, char Row, int Column)
{
    /// <summary>Whether the crosspoint exists on a 707B with 7174A cards.</summary>
    public bool IsValid => Slot is >= 1 and <= 6 && Row is >= 'A' and <= 'H' && Column is >= 1 and <= 12;

    /// <summary>The channel name; a crosspoint outside the mainframe's slots, rows or columns has none.</summary>
    public string Name => IsValid
        ? $"{Slot.ToString(CultureInfo.InvariantCulture)}{Row}{Column.ToString("00", CultureInfo.InvariantCulture)}"
        : throw new ArgumentOutOfRangeException(nameof(MatrixCrosspoint), $"crosspoint {this} is outside the 707B's slots 1–6, rows A–H, columns 1–12");

    public override string ToString() => IsValid ? Name : $"slot {Slot}, row {Row}, column {Column}";
}

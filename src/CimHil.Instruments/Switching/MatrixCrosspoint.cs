using System.Globalization;

namespace CimHil.Instruments.Switching;

/// <summary>
/// One crosspoint of a Keithley 707B: card slot 1–6, card row A–H, card column 1–12, named as the 707B names channels
/// (<c>1A02</c>; 707B Reference Manual 707B-901-01, "Channel list parameter for remote commands").
/// </summary>
public readonly record struct MatrixCrosspoint(int Slot, char Row, int Column)
{
    /// <summary>The channel name; a crosspoint outside the mainframe's slots, rows or columns is refused.</summary>
    public override string ToString()
    {
        if (Slot is < 1 or > 6 || Row is < 'A' or > 'H' || Column is < 1 or > 12)
        {
            throw new ArgumentOutOfRangeException(nameof(MatrixCrosspoint), $"crosspoint slot {Slot}, row {Row}, column {Column} is outside the 707B's slots 1–6, rows A–H, columns 1–12");
        }

        return $"{Slot.ToString(CultureInfo.InvariantCulture)}{Row}{Column.ToString("00", CultureInfo.InvariantCulture)}";
    }
}

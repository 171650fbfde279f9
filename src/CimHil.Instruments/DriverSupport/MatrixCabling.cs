using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Instruments.Switching;

namespace CimHil.Instruments.DriverSupport;

/// <summary>
/// How an array's lines reach a Keithley 707B: which card carries the word lines, which the bit lines, which card rows are
/// the buses. Owns the mapping from a cell to the matrix's crosspoints, so the 707B class speaks only of crosspoints.
/// </summary>
public sealed record MatrixCabling
{
    /// <summary>Columns of a Keithley 7174A matrix card (8 rows × 12 columns): one card holds at most 12 lines.</summary>
    public const int CardColumns = 12;

    public int WordLineSlot { get; init; } = 1;

    public int BitLineSlot { get; init; } = 2;

    /// <summary>Card row cabled to the source's force HI.</summary>
    public char HiRow { get; init; } = 'A';

    /// <summary>Card row cabled to the source's LO (the measuring side).</summary>
    public char LoRow { get; init; } = 'B';

    /// <summary>Card row cabled to the bias supply that holds unselected lines.</summary>
    public char BiasRow { get; init; } = 'C';

    /// <summary>The setting names <see cref="Parse"/> reads from a driver's <c>chip.settings</c>.</summary>
    public static IReadOnlyList<string> SettingNames { get; } = ["wordLineSlot", "bitLineSlot", "hiRow", "loRow", "biasRow"];

    /// <summary>
    /// The cabling settings, for <c>cimhil instruments list</c>; <paramref name="hiSource"/> and <paramref name="loSource"/>
    /// say what the HI and LO rows carry.
    /// </summary>
    public static IReadOnlyList<DriverSetting> Declared(string hiSource, string loSource) =>
    [
        new("wordLineSlot", "integer 1–6", "707B slot whose card columns carry the word lines", "1"),
        new("bitLineSlot", "integer 1–6", "707B slot whose card columns carry the bit lines", "2"),
        new("hiRow", "letter A–H", $"Card row cabled to {hiSource}", "A"),
        new("loRow", "letter A–H", $"Card row cabled to {loSource}", "B"),
        new("biasRow", "letter A–H", "Card row cabled to the bias supply for unselected lines", "C"),
    ];

    /// <summary>Reads wordLineSlot, bitLineSlot, hiRow, loRow and biasRow (all optional) with JSON-path errors.</summary>
    public static MatrixCabling Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var cabling = new MatrixCabling
        {
            WordLineSlot = settings.Int("wordLineSlot", 1, 1, 6),
            BitLineSlot = settings.Int("bitLineSlot", 2, 1, 6),
            HiRow = Row(settings, "hiRow", 'A'),
            LoRow = Row(settings, "loRow", 'B'),
            BiasRow = Row(settings, "biasRow", 'C'),
        };
        if (cabling.WordLineSlot == cabling.BitLineSlot)
        {
            throw settings.Error("bitLineSlot", $"slot {cabling.BitLineSlot} already carries the word lines; word and bit lines need separate cards");
        }

        if (new[] { cabling.HiRow, cabling.LoRow, cabling.BiasRow }.Distinct().Count() != 3)
        {
            throw settings.Error("biasRow", $"hiRow, loRow and biasRow must be three different card rows, got {cabling.HiRow}, {cabling.LoRow}, {cabling.BiasRow}");
        }

        return cabling;
    }

    /// <summary>
    /// The crosspoints that select <paramref name="cell"/> of a rows × columns array: its word line to HI, its bit line to LO,
    /// every other line to the bias bus (line k on card column k + 1).
    /// </summary>
    public IReadOnlyList<MatrixCrosspoint> Crosspoints(CellAddress cell, int rows, int columns)
    {
        var crosspoints = new List<MatrixCrosspoint>
        {
            new(WordLineSlot, HiRow, cell.Row + 1),
            new(BitLineSlot, LoRow, cell.Column + 1),
        };
        crosspoints.AddRange(Enumerable.Range(0, rows).Where(r => r != cell.Row).Select(r => new MatrixCrosspoint(WordLineSlot, BiasRow, r + 1)));
        crosspoints.AddRange(Enumerable.Range(0, columns).Where(c => c != cell.Column).Select(c => new MatrixCrosspoint(BitLineSlot, BiasRow, c + 1)));
        return crosspoints;
    }

    private static char Row(JsonSection settings, string name, char defaultRow)
    {
        var text = settings.String(name, defaultRow.ToString());
        return text.Length == 1 && char.ToUpperInvariant(text[0]) is >= 'A' and <= 'H'
            ? char.ToUpperInvariant(text[0])
            : throw settings.Error(name, $"'{text}' is not a matrix card row (A–H)");
    }
}

namespace CimHil.Emulator.Instruments;

/// <summary>
/// How the emulated probe station is cabled: the array's word lines on the columns of one 707B matrix card, its bit
/// lines on another, and three card rows as buses: SMU HI, SMU LO and the bias bus that holds unselected lines.
/// The smu-matrix driver's settings describe the same cabling (docs/drivers.md).
/// </summary>
public sealed record MatrixWiring
{
    /// <summary>A Keithley 7174A card is an 8-row × 12-column matrix (707B reference manual, "Matrix card" channel identifiers).</summary>
    public const int CardRows = 8;

    public const int CardColumns = 12;

    /// <summary>The 707B holds six cards (slots 1–6).</summary>
    public const int Slots = 6;

    public int WordLineSlot { get; init; } = 1;

    public int BitLineSlot { get; init; } = 2;

    /// <summary>Card row wired to the SMU's force HI.</summary>
    public char HiRow { get; init; } = 'A';

    /// <summary>Card row wired to the SMU's LO.</summary>
    public char LoRow { get; init; } = 'B';

    /// <summary>Card row wired to the bias supply that holds unselected lines (ground in the emulator).</summary>
    public char BiasRow { get; init; } = 'C';

    public static MatrixWiring Default { get; } = new();

    /// <summary>Refuses an array with more word or bit lines than one matrix card has columns (one card per line set).</summary>
    internal static void RequireFits(EmulatedChip chip)
    {
        if (chip.Geometry.Rows > CardColumns || chip.Geometry.Columns > CardColumns)
        {
            throw new ArgumentException($"a {chip.Geometry} array needs more than the {CardColumns} columns of one matrix card per line set", nameof(chip));
        }
    }
}

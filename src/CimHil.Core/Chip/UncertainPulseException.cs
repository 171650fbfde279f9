namespace CimHil.Core.Chip;

/// <summary>
/// The link failed after a pulse (program or forming) may have reached the chip, so whether it was applied is not known
/// from the exchange itself. <see cref="Applied"/> is what the driver could establish afterwards (for example from the
/// board's pulse counter): true or false when known, null when not. The caller records the pulse as such, reads the cell
/// back and decides from the read-back; it never repeats the pulse blindly.
/// </summary>
public sealed class UncertainPulseException : ChipException
{
    public UncertainPulseException(CellAddress cell, string operation, bool? applied, DateTimeOffset timestamp, Exception innerException)
        : base($"{operation} on cell {cell}: the link failed after it was sent ({innerException.Message}); " + applied switch
        {
            true => "it was applied (the chip's pulse counter moved by one)",
            false => "it was not applied (the chip's pulse counter did not move)",
            null => "whether it was applied is unknown; read the cell back before pulsing it again",
        }, innerException)
    {
        Cell = cell;
        Operation = operation;
        Applied = applied;
        Timestamp = timestamp;
    }

    public CellAddress Cell { get; }

    /// <summary>The command as sent (names the pulse's polarity, amplitude and width).</summary>
    public string Operation { get; }

    /// <summary>Whether the pulse was applied: true/false when the driver could tell, null when it could not.</summary>
    public bool? Applied { get; }

    /// <summary>The chip's clock when the pulse was sent.</summary>
    public DateTimeOffset Timestamp { get; }
}

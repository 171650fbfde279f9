namespace CimHil.Core.Chip;

/// <summary>Base of every error a chip operation raises; the message names the cell, the value and the limit.</summary>
public class ChipException : Exception
{
    public ChipException(string message)
        : base(message)
    {
    }

    public ChipException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The operation asked for something this chip cannot do (for example VMM on a chip without it).</summary>
public sealed class CapabilityNotSupportedException(ChipCapabilities capability, string chip)
    : ChipException($"{chip} does not support {capability}")
{
    public ChipCapabilities Capability { get; } = capability;
}

/// <summary>An address or block outside the array.</summary>
public sealed class CellOutOfRangeException(string what, ArrayGeometry geometry)
    : ChipException($"{what} is outside the {geometry} array")
{
}

/// <summary>An operation asked for something this setup cannot apply (e.g. a gate voltage without a gate source); nothing was sent.</summary>
public sealed class UnsupportedOperationException(string message) : ChipException(message)
{
}

/// <summary>A saved chip state that does not fit this chip (another fabrication, another geometry) or cannot be read.</summary>
public sealed class ChipStateMismatchException(string message) : ChipException(message)
{
}

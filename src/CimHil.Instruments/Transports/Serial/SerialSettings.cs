namespace CimHil.Instruments.Transports.Serial;

/// <summary>Parity bit (VISA VI_ATTR_ASRL_PARITY values).</summary>
public enum SerialParity
{
    None = 0,
    Odd = 1,
    Even = 2,
    Mark = 3,
    Space = 4,
}

/// <summary>Stop bits (VISA VI_ATTR_ASRL_STOP_BITS uses tenths: 10, 15, 20).</summary>
public enum SerialStopBits
{
    One = 10,
    OnePointFive = 15,
    Two = 20,
}

/// <summary>Flow control (VISA VI_ATTR_ASRL_FLOW_CNTRL values).</summary>
public enum SerialFlowControl
{
    None = 0,
    XonXoff = 1,
    RtsCts = 2,
}

/// <summary>Line settings of a serial port; the default is the common instrument setting 9600 8N1, no flow control.</summary>
public sealed record SerialSettings
{
    public int BaudRate { get; init; } = 9600;

    /// <summary>5–8.</summary>
    public int DataBits { get; init; } = 8;

    public SerialParity Parity { get; init; } = SerialParity.None;

    public SerialStopBits StopBits { get; init; } = SerialStopBits.One;

    public SerialFlowControl FlowControl { get; init; } = SerialFlowControl.None;

    public static SerialSettings Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the setting, the value and the allowed range.</summary>
    public void Validate()
    {
        if (DataBits is < 5 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(DataBits), DataBits, "serial data bits must be 5–8");
        }

        if (BaudRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BaudRate), BaudRate, "serial baud rate must be positive");
        }
    }
}

using System.Globalization;
using CimHil.Core.Config;

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

    /// <summary>
    /// The byte that ends a message on this line, both ways (IEEE 488.2 section 7.5 uses LF; many serial instruments
    /// answer with CR). Serial has no END line, so the termination character is the only message boundary. Null: the
    /// instrument family's own (<see cref="Scpi.ScpiSessionOptions.SerialTermination"/>), else LF.
    /// </summary>
    public byte? Termination { get; init; }

    /// <summary>The byte that ends messages sent, where it differs from what ends replies; null: <see cref="Termination"/>.</summary>
    public byte? WriteTermination { get; init; }

    public static SerialSettings Default { get; } = new();

    /// <summary>Highest baud rate accepted: the fastest common USB-serial adapters (FTDI FT232H) run 12 Mbaud.</summary>
    public const int MaxBaudRate = 12_000_000;

    /// <summary>
    /// Reads hil-config.json <c>transport.serial</c>: <c>baudRate</c>, <c>dataBits</c>, <c>parity</c>
    /// (none|odd|even|mark|space), <c>stopBits</c> (1, 1.5, 2), <c>flowControl</c> (none|xonxoff|rtscts) and
    /// <c>termination</c> ("\n", "\r", or lf/cr; both ways) and <c>writeTermination</c> (messages sent only). Errors name the JSON path, the value and the allowed values.
    /// </summary>
    public static SerialSettings FromConfig(JsonSection? section)
    {
        if (section is null)
        {
            return Default;
        }

        section.AllowOnly("baudRate", "dataBits", "parity", "stopBits", "flowControl", "termination", "writeTermination");
        var d = Default;
        return new SerialSettings
        {
            BaudRate = section.Int("baudRate", d.BaudRate, 50, MaxBaudRate),
            DataBits = section.Int("dataBits", d.DataBits, 5, 8),
            Parity = section.Enum("parity", d.Parity),
            StopBits = section.Has("stopBits") ? StopBitsFrom(section) : d.StopBits,
            FlowControl = section.Enum("flowControl", d.FlowControl),
            Termination = section.Has("termination") ? TerminationFrom(section, "termination") : d.Termination,
            WriteTermination = section.Has("writeTermination") ? TerminationFrom(section, "writeTermination") : d.WriteTermination,
        };
    }

    private static SerialStopBits StopBitsFrom(JsonSection section)
    {
        var value = section.Double("stopBits");
        return value switch
        {
            1 => SerialStopBits.One,
            1.5 => SerialStopBits.OnePointFive,
            2 => SerialStopBits.Two,
            _ => throw section.Error("stopBits", $"{value.ToString(CultureInfo.InvariantCulture)} is not 1, 1.5 or 2"),
        };
    }

    private static byte TerminationFrom(JsonSection section, string name)
    {
        var text = section.String(name);
        return text.ToUpperInvariant() switch
        {
            "\n" or "LF" => (byte)'\n',
            "\r" or "CR" => (byte)'\r',
            _ => throw section.Error(name, $"'{text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}' is not one termination character; use \"\\n\" (lf) or \"\\r\" (cr)"),
        };
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the setting, the value and the allowed range.</summary>
    public void Validate()
    {
        if (DataBits is < 5 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(DataBits), DataBits, $"serial data bits {DataBits} is outside 5–8");
        }

        if (BaudRate is <= 0 or > MaxBaudRate)
        {
            throw new ArgumentOutOfRangeException(nameof(BaudRate), BaudRate, $"serial baud rate {BaudRate} is outside 1–{MaxBaudRate}");
        }

        if (!Enum.IsDefined(Parity) || !Enum.IsDefined(StopBits) || !Enum.IsDefined(FlowControl))
        {
            throw new ArgumentOutOfRangeException(nameof(Parity), $"serial parity {Parity}, stop bits {StopBits} or flow control {FlowControl} is not a defined value");
        }
    }
}

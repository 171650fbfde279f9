using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Serial;

namespace CimHil.Drivers.CimHilBoard;

/// <summary>How the board is asked to encode bulk replies (BLK:READ?, ARR:VMM?).</summary>
public enum BoardReplyFormat
{
    /// <summary><c>FORM REAL,64</c>: IEEE 754 float64 definite-length blocks, big-endian (exact, compact).</summary>
    Real64,

    /// <summary><c>FORM ASC</c>: comma-separated numbers (readable in a terminal, slower).</summary>
    Ascii,
}

/// <summary>The <c>chip.settings</c> of the cimhil-board driver.</summary>
public sealed record CimHilBoardSettings
{
    /// <summary>VISA resource string or an alias from <c>instruments.aliases</c>.</summary>
    public required string Resource { get; init; }

    public BoardReplyFormat DataFormat { get; init; } = BoardReplyFormat.Real64;

    /// <summary>Line settings when the resource is a serial port (ASRL…::INSTR).</summary>
    public SerialSettings Serial { get; init; } = SerialSettings.Default;
}

/// <summary>Array test boards (MCU/FPGA with on-board DACs and TIAs) speaking the CimHil board protocol over TCP or serial.</summary>
[ChipDriver("cimhil-board", Description = "CimHil array test board (on-board DACs + TIAs) over TCP socket or serial; the protocol 'cimhil emulator serve' speaks")]
public sealed class CimHilBoardDriver : ChipDriver<CimHilBoardSettings>
{
    /// <summary>
    /// Ceilings of the reference board: ±5 V DACs (forming needs up to 5 V on HfOx, Wong et al., Proc. IEEE 100(6) 2012),
    /// a 1 mA TIA full scale, pulses from 10 ns (FPGA pulse generator) to 1 s.
    /// </summary>
    public static SafetyLimits BoardMaxima { get; } =
        HardwareMaxima.Uniform(voltageV: 5, complianceA: 1e-3, minPulseWidthSeconds: 10e-9, maxPulseWidthSeconds: 1) with { MaxReadVoltageV = 1 };

    public override SafetyLimits Maxima => BoardMaxima;

    public override IReadOnlyList<DriverSetting> Settings { get; } =
    [
        new("resource", "string", "VISA resource of the board (TCPIP0::host::port::SOCKET or ASRL/dev/ttyUSB0::INSTR) or an instruments.aliases name"),
        new("dataFormat", "real64 | ascii", "Encoding of bulk replies (FORM REAL,64 or FORM ASC)", "real64"),
        new("baudRate", "integer", "Serial baud rate (serial resources only)", "115200"),
    ];

    public override CimHilBoardSettings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowOnly("resource", "dataFormat", "baudRate");
        return new CimHilBoardSettings
        {
            Resource = settings.String("resource"),
            DataFormat = settings.Enum("dataFormat", BoardReplyFormat.Real64),
            Serial = SerialSettings.Default with { BaudRate = settings.Int("baudRate", 115_200, 1, 10_000_000) },
        };
    }

    public override Task<IChip> ConnectAsync(CimHilBoardSettings settings, DriverContext context, CancellationToken cancellationToken) =>
        ConnectAsync(settings, context, TransportFactory.Instance, cancellationToken);

    /// <summary>Connects through <paramref name="factory"/> (tests pass a recording factory to assert the bytes on the wire).</summary>
    public async Task<IChip> ConnectAsync(CimHilBoardSettings settings, DriverContext context, ITransportFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var resource = context.Config.Instruments.Resolve(settings.Resource);
        // transport.serial's line settings reach the board; its own baudRate wins, and the board protocol ends every
        // message with LF both ways (docs/protocol.md, "Framing"), whatever transport.serial.termination says.
        var configured = TransportOptions.FromConfig(context.Config.Transport);
        var options = configured with { Serial = configured.Serial with { BaudRate = settings.Serial.BaudRate, Termination = (byte)'\n', WriteTermination = null } };
        var session = await ScpiSession.OpenAsync(resource, options, context.Logger, cancellationToken, factory).ConfigureAwait(false);
        try
        {
            return await CimHilBoardChip.OpenAsync(session, settings.DataFormat, context.Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

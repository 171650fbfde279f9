using CimHil.Core.Config;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Transports.HiSlip;
using CimHil.Instruments.Transports.Serial;
using CimHil.Instruments.Transports.Visa;
using CimHil.Instruments.Transports.Vxi11;
using Serilog;

namespace CimHil.Instruments.Transports;

/// <summary>When to route a resource through the installed VISA library rather than a built-in transport.</summary>
public enum VisaPreference
{
    /// <summary>
    /// Built-in transports for sockets and (on Linux) serial; VISA for GPIB and USB; LAN INSTR (VXI-11 and HiSLIP) through
    /// VISA when a VISA library is installed, else the built-in VXI-11 or HiSLIP client.
    /// </summary>
    Auto,

    /// <summary>Every resource through VISA (for example to use a vendor's serial driver).</summary>
    Always,

    /// <summary>Never load VISA: LAN INSTR goes over the built-in VXI-11 or HiSLIP client; GPIB and USB resources are refused.</summary>
    Never,
}

/// <summary>Everything needed to open a transport besides the resource string.</summary>
public sealed record TransportOptions
{
    /// <summary>Timeouts, retries and breaker settings (hil-config.json <c>transport</c>).</summary>
    public TransportConfig Config { get; init; } = TransportConfig.Default;

    public SerialSettings Serial { get; init; } = SerialSettings.Default;

    public VisaPreference Visa { get; init; } = VisaPreference.Auto;

    /// <summary>Message termination character (SCPI over sockets and serial uses LF, IEEE 488.2 section 7.5).</summary>
    public byte Terminator { get; init; } = (byte)'\n';

    /// <summary>The clock of the session's resilience pipelines (timeouts, back-off, breaker); null: the system clock.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Where the built-in VXI-11 client asks for the core channel: 111 (RFC 1833) except for emulators in tests.</summary>
    public int Vxi11PortmapperPort { get; init; } = CimHil.Core.OncRpc.Vxi11Wire.PortmapperPort;

    public TimeSpan Timeout => TimeSpan.FromSeconds(Config.TimeoutSeconds);

    public TimeSpan ConnectTimeout => TimeSpan.FromSeconds(Config.ConnectTimeoutSeconds);

    public static TransportOptions Default { get; } = new();
}

/// <summary>Opens transports from resource strings; the seam drivers depend on (tests may supply their own).</summary>
public interface ITransportFactory
{
    /// <summary>Creates the transport for a resource and opens it.</summary>
    Task<ITransport> OpenAsync(string resource, TransportOptions options, ILogger logger, CancellationToken cancellationToken);
}

/// <summary>The built-in factory: TCP socket, termios serial, VXI-11, HiSLIP, VISA library for the rest.</summary>
public sealed class TransportFactory : ITransportFactory
{
    public static TransportFactory Instance { get; } = new();

    /// <summary>Creates the (unopened) transport a resource maps to.</summary>
    public static ITransport Create(VisaResource resource, TransportOptions options)
    {
        if (options.Visa == VisaPreference.Always)
        {
            return new VisaTransport(resource, options.Timeout, options.ConnectTimeout, options.Serial, options.Terminator);
        }

        return resource switch
        {
            TcpSocketResource tcp => new TcpSocketTransport(tcp, options.Timeout, options.ConnectTimeout),
            SerialResource serial when !OperatingSystem.IsWindows() => new SerialTransport(serial, options.Serial, options.Timeout),
            TcpInstrResource { IsHiSlip: false } instr when options.Visa == VisaPreference.Never || !VisaLibrary.IsAvailable() =>
                new Vxi11Transport(instr, options.Timeout, options.ConnectTimeout, options.Vxi11PortmapperPort),
            TcpInstrResource { IsHiSlip: true } instr when options.Visa == VisaPreference.Never || !VisaLibrary.IsAvailable() =>
                new HiSlipTransport(instr, options.Timeout, options.ConnectTimeout),
            _ when options.Visa == VisaPreference.Never => throw Unreachable(resource),
            _ => new VisaTransport(resource, options.Timeout, options.ConnectTimeout, options.Serial, options.Terminator),
        };
    }

    /// <summary>The error for a resource only a VISA library serves: what was tried and what to install.</summary>
    private static InstrumentException Unreachable(VisaResource resource) => new(
        resource.Canonical,
        $"{resource.Canonical}: no built-in transport serves {resource.Kind}"
        + " (tried: socket, serial, VXI-11, HiSLIP) and VISA is disabled (visa: Never); install a VISA library (NI-VISA, Keysight IO Libraries, R&S VISA) and allow it (visa: Auto or Always)");

    public async Task<ITransport> OpenAsync(string resource, TransportOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var parsed = VisaResourceParser.Parse(resource);
        var transport = Create(parsed, options);
        try
        {
            await transport.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        logger.Debug("Opened {Resource} over {Transport}", parsed.Canonical, transport.GetType().Name);
        return transport;
    }
}

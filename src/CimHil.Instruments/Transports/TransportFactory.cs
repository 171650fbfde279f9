using CimHil.Core.Config;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Transports.HiSlip;
using CimHil.Instruments.Transports.Serial;
using CimHil.Instruments.Transports.Usbtmc;
using CimHil.Instruments.Transports.Visa;
using CimHil.Instruments.Transports.Vxi11;
using Serilog;

namespace CimHil.Instruments.Transports;

/// <summary>When to route a resource through the installed VISA library rather than a built-in transport.</summary>
public enum VisaPreference
{
    /// <summary>
    /// Built-in transports for sockets and serial; LAN INSTR (VXI-11, HiSLIP) and USB (usbtmc) through the vendor VISA when
    /// one is installed, else the built-in VXI-11 or HiSLIP client and usbtmc driver; GPIB only through the vendor VISA.
    /// </summary>
    Auto,

    /// <summary>Every resource through VISA (for example to use a vendor's serial driver).</summary>
    Always,

    /// <summary>Never load VISA: only built-in transports (LAN INSTR over VXI-11 or HiSLIP, USB over usbtmc); GPIB resources are refused.</summary>
    Never,
}

/// <summary>Everything needed to open a transport besides the resource string.</summary>
public sealed record TransportOptions
{
    /// <summary>Timeouts, retries and breaker settings (hil-config.json <c>transport</c>).</summary>
    public TransportConfig Config { get; init; } = TransportConfig.Default;

    public SerialSettings Serial { get; init; } = SerialSettings.Default;

    /// <summary>An explicit choice (the CLI's --visa); null: hil-config.json <c>transport.visa</c> (<see cref="TransportConfig.Visa"/>).</summary>
    public VisaPreference? Visa { get; init; }

    /// <summary>The preference in force: <see cref="Visa"/> when set, else the configuration's.</summary>
    public VisaPreference EffectiveVisa => Visa ?? Config.Visa switch
    {
        VendorVisaUse.Always => VisaPreference.Always,
        VendorVisaUse.Never => VisaPreference.Never,
        _ => VisaPreference.Auto,
    };

    /// <summary>Message termination character (SCPI over sockets and serial uses LF, IEEE 488.2 section 7.5).</summary>
    public byte Terminator { get; init; } = (byte)'\n';

    /// <summary>The clock of the session's resilience pipelines (timeouts, back-off, breaker); null: the system clock.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Where the built-in VXI-11 client asks for the core channel: 111 (RFC 1833) except for emulators in tests.</summary>
    public int Vxi11PortmapperPort { get; init; } = CimHil.Core.OncRpc.Vxi11Wire.PortmapperPort;

    public TimeSpan Timeout => TimeSpan.FromSeconds(Config.TimeoutSeconds);

    public TimeSpan ConnectTimeout => TimeSpan.FromSeconds(Config.ConnectTimeoutSeconds);

    /// <summary>Where the usbtmc transport looks for /sys/class/usbmisc and /dev (tests point it at a fake tree).</summary>
    public UsbtmcPaths Usbtmc { get; init; } = UsbtmcPaths.System;

    public static TransportOptions Default { get; } = new();

    /// <summary>
    /// The options hil-config.json's <c>transport</c> section gives <paramref name="resource"/>: timeouts, the VISA
    /// preference, the serial line (<c>transport.serial</c>) and, for serial resources, its termination character.
    /// </summary>
    public static TransportOptions FromConfig(TransportConfig config, VisaResource resource)
    {
        var options = FromConfig(config);
        return resource is SerialResource ? options with { Terminator = options.Serial.Termination ?? (byte)'\n' } : options;
    }

    /// <summary>
    /// The options of hil-config.json's <c>transport</c> section for any resource of a driver: timeouts, the VISA
    /// preference, the serial line (<c>transport.serial</c>) and the VXI-11 portmapper port (<c>transport.vxi11PortmapperPort</c>).
    /// </summary>
    public static TransportOptions FromConfig(TransportConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new TransportOptions
        {
            Config = config,
            Serial = SerialSettings.FromConfig(config.Serial),
            Vxi11PortmapperPort = config.Vxi11PortmapperPort,
        };
    }
}

/// <summary>Opens transports from resource strings; the seam drivers depend on (tests may supply their own).</summary>
public interface ITransportFactory
{
    /// <summary>Creates the transport for a resource and opens it.</summary>
    Task<ITransport> OpenAsync(string resource, TransportOptions options, ILogger logger, CancellationToken cancellationToken);
}

/// <summary>The built-in factory: TCP socket, serial (System.IO.Ports), VXI-11, HiSLIP, usbtmc, the vendor VISA library for the rest.</summary>
public sealed class TransportFactory : ITransportFactory
{
    public static TransportFactory Instance { get; } = new();

    /// <summary>Creates the (unopened) transport a resource maps to.</summary>
    public static ITransport Create(VisaResource resource, TransportOptions options)
    {
        var visa = options.EffectiveVisa;
        if (visa == VisaPreference.Always)
        {
            return new VisaTransport(resource, options.Timeout, options.ConnectTimeout, options.Serial, options.Terminator);
        }

        // In Auto the vendor VISA is asked only for what it may serve better (its own VXI-11 and USB stacks) or alone (GPIB).
        // Asked lazily: loading a VISA library is not free, and sockets and serial never need it.
        bool VisaInstalled() => visa == VisaPreference.Auto && VisaLibrary.IsAvailable();
        return resource switch
        {
            TcpSocketResource tcp => new TcpSocketTransport(tcp, options.Timeout, options.ConnectTimeout),
            SerialResource serial => new SerialTransport(serial, options.Serial, options.Timeout),
            TcpInstrResource { IsHiSlip: false } instr when !VisaInstalled() =>
                new Vxi11Transport(instr, options.Timeout, options.ConnectTimeout, options.Vxi11PortmapperPort),
            TcpInstrResource { IsHiSlip: true } instr when !VisaInstalled() =>
                new HiSlipTransport(instr, options.Timeout, options.ConnectTimeout),
            UsbResource usb when !VisaInstalled() && OperatingSystem.IsLinux() => new UsbtmcTransport(usb, options.Usbtmc, options.Timeout),
            _ when !VisaInstalled() => throw Unreachable(resource, visa),
            _ => new VisaTransport(resource, options.Timeout, options.ConnectTimeout, options.Serial, options.Terminator),
        };
    }

    /// <summary>The error for a resource no transport here can reach: what was tried and what to install.</summary>
    internal static TransportUnavailableException Unreachable(VisaResource resource, VisaPreference visa)
    {
        var kind = resource switch
        {
            UsbResource => "USB",
            GpibResource => "GPIB",
            _ => resource.Kind.ToString().ToUpperInvariant(),
        };
        var builtIn = OperatingSystem.IsLinux()
            ? "socket, serial, VXI-11, HiSLIP, usbtmc"
            : "socket, serial, VXI-11, HiSLIP";
        var vendor = visa == VisaPreference.Never
            ? "the vendor VISA was not tried (transport.visa is never)"
            : $"no vendor VISA library is installed (looked for {string.Join(", ", VisaLibrary.Candidates.Take(3))}, … or ${VisaLibrary.PathVariable})";
        var install = resource switch
        {
            GpibResource => "install a vendor VISA with a GPIB driver (NI-VISA with NI-488.2, Keysight IO Libraries Suite)",
            UsbResource => "install a vendor VISA (NI-VISA, Keysight IO Libraries Suite); the built-in usbtmc transport needs Linux's usbtmc kernel driver",
            _ => "install a vendor VISA (NI-VISA, Keysight IO Libraries Suite, R&S VISA)",
        };
        var allow = visa == VisaPreference.Never ? " and set transport.visa to auto (or pass --visa Auto)" : string.Empty;
        return new TransportUnavailableException(
            resource.Canonical,
            $"{resource.Canonical}: no transport can reach a {kind} resource: built-in transports tried: {builtIn} (none serves {kind}); {vendor}. To reach it, {install}{allow}.");
    }

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

using System.IO.Ports;
using System.Runtime.InteropServices;
using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Transports.Serial;

/// <summary>
/// A serial port through System.IO.Ports, so the same code runs on Linux, macOS and Windows: the package's native
/// shim owns the termios layout of each platform (dotnet/runtime src/native/libs/System.IO.Ports.Native), which a
/// hand-written struct cannot (glibc, macOS and FreeBSD lay out <c>struct termios</c> differently).
/// Reads wait in short <see cref="SerialPort.ReadTimeout"/> slices so a cancelled token is noticed promptly.
/// </summary>
public sealed class SerialTransport : BufferedTransport
{
    /// <summary>Longest single blocking read, so cancellation and the transport timeout are honoured.</summary>
    private const int ReadSliceMs = 50;

    private readonly string _portName;
    private readonly SerialSettings _settings;
    private SerialPort? _port;
    private volatile bool _open;

    public SerialTransport(SerialResource resource, SerialSettings settings, TimeSpan timeout)
        : this(resource.Canonical, SerialPortNames.For(resource), settings, timeout)
    {
    }

    public SerialTransport(string resource, string portName, SerialSettings settings, TimeSpan timeout)
        : base(resource, timeout)
    {
        settings.Validate();
        _portName = portName;
        _settings = settings;
    }

    public override bool IsOpen => _open;

    /// <summary>The port in use (for example /dev/pts/3, /dev/ttyUSB0, /dev/cu.usbserial-1 or COM3).</summary>
    public string DevicePath => _portName;

    protected override Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        var port = new SerialPort(_portName, _settings.BaudRate, Parity(_settings.Parity), _settings.DataBits, StopBits(_settings.StopBits))
        {
            Handshake = _settings.FlowControl switch
            {
                SerialFlowControl.XonXoff => Handshake.XOnXOff,
                SerialFlowControl.RtsCts => Handshake.RequestToSend,
                _ => Handshake.None,
            },
            ReadTimeout = ReadSliceMs,
            WriteTimeout = TimeoutMs(Timeout),
            ReadBufferSize = 64 * 1024,
        };
        try
        {
            port.Open();
            port.DiscardInBuffer();
            port.DiscardOutBuffer();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw new InstrumentIOException(Resource, $"{Resource}: cannot open {_portName} ({Describe()}): {ex.Message}", ex);
        }

        _port = port;
        _open = true;
        return Task.CompletedTask;
    }

    protected override ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        new(Task.Run(() => ReadSome(destination, cancellationToken), cancellationToken));

    protected override ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        new(Task.Run(() => WriteAll(data, cancellationToken), cancellationToken));

    protected override Task DiscardInputCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            _port?.DiscardInBuffer();
        }
        catch (IOException)
        {
            // A line that went away has nothing left to discard; the next exchange re-opens it.
            MarkDropped();
        }

        return Task.CompletedTask;
    }

    protected override Task CloseCoreAsync()
    {
        _open = false;
        var port = _port;
        _port = null;
        try
        {
            port?.Dispose();
        }
        catch (IOException)
        {
            // Closing a port whose device vanished (a USB adapter pulled) reports the loss again; it is closed either way.
        }

        return Task.CompletedTask;
    }

    protected override void MarkDropped() => _open = false;

    private static Parity Parity(SerialParity parity) => parity switch
    {
        SerialParity.Odd => System.IO.Ports.Parity.Odd,
        SerialParity.Even => System.IO.Ports.Parity.Even,
        SerialParity.Mark => System.IO.Ports.Parity.Mark,
        SerialParity.Space => System.IO.Ports.Parity.Space,
        _ => System.IO.Ports.Parity.None,
    };

    /// <summary>
    /// termios has no 1.5 stop bits: on Linux and macOS 1.5 is sent as 2 (CSTOPB), as serial drivers there do for 6–8
    /// data bits; Windows' DCB has ONE5STOPBITS and gets it exactly.
    /// </summary>
    private static StopBits StopBits(SerialStopBits stopBits) => stopBits switch
    {
        SerialStopBits.Two => System.IO.Ports.StopBits.Two,
        SerialStopBits.OnePointFive when OperatingSystem.IsWindows() => System.IO.Ports.StopBits.OnePointFive,
        SerialStopBits.OnePointFive => System.IO.Ports.StopBits.Two,
        _ => System.IO.Ports.StopBits.One,
    };

    private static int TimeoutMs(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero || timeout == System.Threading.Timeout.InfiniteTimeSpan
            ? SerialPort.InfiniteTimeout
            : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 1, int.MaxValue);

    private string Describe() => $"{_settings.BaudRate} baud, {_settings.DataBits}{_settings.Parity.ToString()[0]}{_settings.StopBits switch { SerialStopBits.Two => "2", SerialStopBits.OnePointFive => "1.5", _ => "1" }}, flow control {_settings.FlowControl}";

    private int ReadSome(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var port = _port ?? throw new InstrumentIOException(Resource, $"{Resource}: the port is closed");
        var direct = MemoryMarshal.TryGetArray<byte>(destination, out var segment);
        var buffer = direct ? segment.Array! : new byte[destination.Length];
        var offset = direct ? segment.Offset : 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n;
            try
            {
                n = port.BaseStream.Read(buffer, offset, destination.Length);
            }
            catch (TimeoutException)
            {
                continue;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
            {
                // EIO or a hang-up: the other end of the line (a pseudo-terminal master, a USB adapter) went away.
                MarkDropped();
                return 0;
            }

            if (n > 0 && !direct)
            {
                buffer.AsSpan(0, n).CopyTo(destination.Span);
            }

            return n;
        }
    }

    private void WriteAll(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var port = _port ?? throw new InstrumentIOException(Resource, $"{Resource}: the port is closed");
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = MemoryMarshal.TryGetArray(data, out var segment) ? segment : new ArraySegment<byte>(data.ToArray());
        try
        {
            port.WriteTimeout = TimeoutMs(Timeout);
            port.BaseStream.Write(bytes.Array!, bytes.Offset, bytes.Count);
            port.BaseStream.Flush();
        }
        catch (TimeoutException ex)
        {
            // Flow control held the line (XOFF or CTS low) past the timeout; BufferedTransport reports it as a timeout.
            throw new OperationCanceledException($"{Resource}: writing to {_portName} timed out", ex);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: write to {_portName} failed: {ex.Message}", ex);
        }
    }
}

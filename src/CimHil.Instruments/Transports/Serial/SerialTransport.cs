using System.Runtime.InteropServices;
using CimHil.Instruments.Resources;
using static CimHil.Instruments.Transports.Serial.PosixInterop;

namespace CimHil.Instruments.Transports.Serial;

/// <summary>
/// A serial port on Linux through termios (System.IO.Ports is not available here). The descriptor is
/// non-blocking; reads and writes wait in poll(2) in short slices so cancellation and timeouts are honoured,
/// the same design as dotnet/runtime's Unix SerialPort shim.
/// </summary>
public sealed class SerialTransport : BufferedTransport
{
    /// <summary>Longest single poll(2) wait, so a cancelled token is noticed promptly.</summary>
    private const int PollSliceMs = 50;

    private readonly string _devicePath;
    private readonly SerialSettings _settings;
    private SafeFileDescriptor? _fd;
    private volatile bool _open;

    public SerialTransport(SerialResource resource, SerialSettings settings, TimeSpan timeout)
        : this(resource.Canonical, resource.LinuxDevicePath, settings, timeout)
    {
    }

    public SerialTransport(string resource, string devicePath, SerialSettings settings, TimeSpan timeout)
        : base(resource, timeout)
    {
        settings.Validate();
        _devicePath = devicePath;
        _settings = settings;
    }

    public override bool IsOpen => _open;

    /// <summary>The device file in use (for example /dev/pts/3 or /dev/ttyUSB0).</summary>
    public string DevicePath => _devicePath;

    protected override Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            throw new PlatformNotSupportedException($"{Resource}: the termios serial transport runs on Linux; use the VISA library for serial ports on Windows");
        }

        var fd = Open(_devicePath, ORdWr | ONoCtty | ONonBlock);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InstrumentIOException(Resource, $"{Resource}: cannot open {_devicePath}: {ErrorText(errno)}");
        }

        var handle = new SafeFileDescriptor(fd);
        try
        {
            Configure(fd);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        _fd = handle;
        _open = true;
        return Task.CompletedTask;
    }

    protected override ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        new(Task.Run(() => ReadSome(destination, cancellationToken), cancellationToken));

    protected override ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        new(Task.Run(() => WriteAll(data, cancellationToken), cancellationToken));

    protected override Task DiscardInputCoreAsync(CancellationToken cancellationToken)
    {
        _ = TcFlush(_fd!.Fd, TcIFlush);
        return Task.CompletedTask;
    }

    protected override Task CloseCoreAsync()
    {
        _open = false;
        _fd?.Dispose();
        _fd = null;
        return Task.CompletedTask;
    }

    protected override void MarkDropped() => _open = false;

    private void Configure(int fd)
    {
        if (TcGetAttr(fd, out var t) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InstrumentIOException(Resource, $"{Resource}: {_devicePath} is not a terminal (tcgetattr: {ErrorText(errno)})");
        }

        // Raw mode (termios(3) cfmakeraw): no echo, no canonical line editing, no CR/LF translation —
        // SCPI replies and binary blocks must arrive byte for byte.
        CfMakeRaw(ref t);
        t.CFlag &= ~(CSize | CStopB | ParEnb | ParOdd | CMSpar | CRtsCts);
        t.CFlag |= CRead | CLocal | _settings.DataBits switch { 5 => Cs5, 6 => Cs6, 7 => Cs7, _ => Cs8 };
        if (_settings.StopBits != SerialStopBits.One)
        {
            // termios has no 1.5 stop bits; like Linux drivers, 1.5 is sent as 2 (CSTOPB) for 6–8 data bits.
            t.CFlag |= CStopB;
        }

        t.CFlag |= _settings.Parity switch
        {
            SerialParity.Odd => ParEnb | ParOdd,
            SerialParity.Even => ParEnb,
            SerialParity.Mark => ParEnb | ParOdd | CMSpar,
            SerialParity.Space => ParEnb | CMSpar,
            _ => 0u,
        };
        t.IFlag &= ~(IxOn | IxOff | IxAny | InPck);
        if (_settings.Parity != SerialParity.None)
        {
            t.IFlag |= InPck;
        }

        if (_settings.FlowControl == SerialFlowControl.XonXoff)
        {
            t.IFlag |= IxOn | IxOff;
        }
        else if (_settings.FlowControl == SerialFlowControl.RtsCts)
        {
            t.CFlag |= CRtsCts;
        }

        // Non-blocking descriptor plus poll(2): VMIN = VTIME = 0 so read never waits inside the kernel.
        t.Cc[VMin] = 0;
        t.Cc[VTime] = 0;
        var speed = SpeedConstant(_settings.BaudRate)
            ?? throw new InstrumentException(Resource, $"{Resource}: {_settings.BaudRate} baud is not a standard termios speed (300–1000000)");
        if (CfSetISpeed(ref t, speed) != 0 || CfSetOSpeed(ref t, speed) != 0 || TcSetAttr(fd, TcsaNow, t) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InstrumentIOException(Resource, $"{Resource}: cannot configure {_devicePath} ({_settings.BaudRate} baud): {ErrorText(errno)}");
        }

        _ = TcFlush(fd, TcIOFlush);
    }

    private unsafe int ReadSome(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var fd = _fd ?? throw new InstrumentIOException(Resource, $"{Resource}: the port is closed");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var events = WaitFor(fd.Fd, PollIn);
            if (events == 0)
            {
                continue;
            }

            using var pin = destination.Pin();
            var n = Read(fd.Fd, (byte*)pin.Pointer, (nuint)destination.Length);
            if (n > 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno is EAgain or EIntr)
            {
                continue;
            }

            if (n == 0 || (events & (PollHup | PollErr | PollNval)) != 0 || errno == EIo)
            {
                // EOF or hang-up: the other end of the line (the pseudo-terminal master, a USB adapter) went away.
                MarkDropped();
                return 0;
            }

            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: read from {_devicePath} failed: {ErrorText(errno)}");
        }
    }

    private unsafe void WriteAll(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var fd = _fd ?? throw new InstrumentIOException(Resource, $"{Resource}: the port is closed");
        while (!data.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (WaitFor(fd.Fd, PollOut) == 0)
            {
                continue;
            }

            using var pin = data.Pin();
            var n = Write(fd.Fd, (byte*)pin.Pointer, (nuint)data.Length);
            if (n >= 0)
            {
                data = data[(int)n..];
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is EAgain or EIntr)
            {
                continue;
            }

            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: write to {_devicePath} failed: {ErrorText(errno)}");
        }
    }

    /// <summary>One poll(2) slice; returns the revents (0 on timeout or EINTR).</summary>
    private static unsafe short WaitFor(int fd, short events)
    {
        var pfd = new PollFd { Fd = fd, Events = events };
        var r = Poll(&pfd, 1, PollSliceMs);
        return r > 0 ? pfd.REvents : (short)0;
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using CimHil.Instruments.Resources;
using static CimHil.Instruments.Transports.Usbtmc.UsbtmcInterop;

namespace CimHil.Instruments.Transports.Usbtmc;

/// <summary>
/// A USBTMC instrument through Linux's usbtmc kernel driver (drivers/usb/class/usbtmc.c): write(2) sends one
/// message with EOM set on its last transfer, read(2) returns one message (up to the device's EOM), and
/// USBTMC_IOCTL_CLEAR is the device clear. The driver's own transfer timeout is set to the transport timeout
/// (USBTMC_IOCTL_SET_TIMEOUT), because the driver's poll(2) reports only SRQ, not data, so a read can only be
/// bounded inside the driver. Where that ioctl is missing (kernels before 4.19, or a pty standing in for the node in
/// tests) the read waits in poll(2) slices instead.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class UsbtmcTransport : BufferedTransport
{
    private const int PollSliceMs = 50;

    private readonly UsbResource _resource;
    private readonly UsbtmcPaths _paths;
    private int _fd = -1;
    private bool _driverTimeout;
    private volatile bool _open;

    public UsbtmcTransport(UsbResource resource, UsbtmcPaths paths, TimeSpan timeout)
        : base(resource.Canonical, timeout)
    {
        _resource = resource;
        _paths = paths;
    }

    public override bool IsOpen => _open;

    /// <summary>The /dev/usbtmcN in use; null before the transport is opened.</summary>
    public string? DeviceNode { get; private set; }

    /// <summary>True when the device node answered USBTMC_IOCTL_SET_TIMEOUT, i.e. it is a real usbtmc node.</summary>
    public bool DriverTimeout => _driverTimeout;

    protected override Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        var device = UsbtmcDirectory.Find(_resource, _paths);
        var fd = Open(device.DeviceNode, ORdWr | OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var hint = errno == 13 ? " (add the user to the group that owns it, or a udev rule giving MODE=\"0666\")" : string.Empty;
            throw new InstrumentIOException(Resource, $"{Resource}: cannot open {device.DeviceNode}: {ErrorText(errno)}{hint}");
        }

        _fd = fd;
        DeviceNode = device.DeviceNode;
        _driverTimeout = SetDriverTimeout();
        _open = true;
        return Task.CompletedTask;
    }

    protected override ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        new(Task.Run(() => ReadMessage(destination, cancellationToken), cancellationToken));

    protected override ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        new(Task.Run(() => WriteMessage(data, cancellationToken), cancellationToken));

    protected override unsafe Task DiscardInputCoreAsync(CancellationToken cancellationToken)
    {
        if (_fd < 0)
        {
            return Task.CompletedTask;
        }

        if (Ioctl(_fd, IoctlClear, null) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != ENotTy)
            {
                throw new InstrumentIOException(Resource, $"{Resource}: device clear (USBTMC_IOCTL_CLEAR) on {DeviceNode} failed: {ErrorText(errno)}");
            }

            // Not a usbtmc node (a test's stand-in): there is no device to clear, only bytes already delivered to drop.
            DrainReadable();
        }

        return Task.CompletedTask;
    }

    protected override Task CloseCoreAsync()
    {
        _open = false;
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Close(fd);
        }

        return Task.CompletedTask;
    }

    protected override void MarkDropped() => _open = false;

    private unsafe bool SetDriverTimeout()
    {
        var ms = Timeout <= TimeSpan.Zero || Timeout == System.Threading.Timeout.InfiniteTimeSpan
            ? uint.MaxValue
            : (uint)Math.Clamp(Math.Ceiling(Timeout.TotalMilliseconds), MinTimeoutMs, uint.MaxValue);
        return Ioctl(_fd, IoctlSetTimeout, &ms) == 0;
    }

    private unsafe int ReadMessage(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_driverTimeout)
        {
            // The transport timeout may have changed since open (ITransport.Timeout is settable).
            _ = SetDriverTimeout();
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fd = _fd;
            if (fd < 0)
            {
                throw new InstrumentIOException(Resource, $"{Resource}: the device is closed");
            }

            if (!_driverTimeout && !Readable(fd))
            {
                continue;
            }

            using var pin = destination.Pin();
            var n = Read(fd, (byte*)pin.Pointer, (nuint)destination.Length);
            if (n > 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            switch (n < 0 ? errno : EIo)
            {
                case EIntr or EAgain:
                    continue;
                case ETimedOut:
                    // The driver's transfer timeout is the transport timeout: report it as one (BufferedTransport).
                    throw new OperationCanceledException($"{Resource}: no reply within the usbtmc driver's timeout");
                case EIo or ENoDev:
                    // The instrument was unplugged or switched off (the driver marks the interface a zombie: ENODEV).
                    MarkDropped();
                    return 0;
                default:
                    MarkDropped();
                    throw new InstrumentIOException(Resource, $"{Resource}: read from {DeviceNode} failed: {ErrorText(errno)}");
            }
        }
    }

    private unsafe void WriteMessage(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_driverTimeout)
        {
            _ = SetDriverTimeout();
        }

        // One write(2) is one USBTMC message (EOM on its last transfer); a short write is finished by another call.
        while (!data.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var pin = data.Pin();
            var n = Write(_fd, (byte*)pin.Pointer, (nuint)data.Length);
            if (n >= 0)
            {
                data = data[(int)n..];
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is EIntr or EAgain)
            {
                continue;
            }

            if (errno == ETimedOut)
            {
                throw new OperationCanceledException($"{Resource}: the device did not accept the message within the usbtmc driver's timeout");
            }

            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: write to {DeviceNode} failed: {ErrorText(errno)}");
        }
    }

    private static unsafe bool Readable(int fd, int timeoutMs = PollSliceMs)
    {
        var pfd = new PollFd { Fd = fd, Events = PollIn };
        return Poll(&pfd, 1, timeoutMs) > 0;
    }

    private unsafe void DrainReadable()
    {
        var scratch = stackalloc byte[4096];
        while (_fd >= 0 && Readable(_fd, 0))
        {
            if (Read(_fd, scratch, 4096) <= 0)
            {
                return;
            }
        }
    }
}

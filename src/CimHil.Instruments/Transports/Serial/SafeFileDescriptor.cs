using Microsoft.Win32.SafeHandles;

namespace CimHil.Instruments.Transports.Serial;

/// <summary>A POSIX file descriptor released with close(2).</summary>
internal sealed class SafeFileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeFileDescriptor(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => PosixInterop.Close((int)handle) == 0;
}

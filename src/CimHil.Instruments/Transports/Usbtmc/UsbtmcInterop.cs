using System.Runtime.InteropServices;

namespace CimHil.Instruments.Transports.Usbtmc;

/// <summary>
/// The libc calls the usbtmc transport makes (Linux only; constants from asm-generic/errno.h, asm-generic/fcntl.h
/// and include/uapi/linux/usb/tmc.h, identical on x86-64 and arm64). No struct crosses this boundary, so no
/// C library's struct layout is assumed.
/// </summary>
internal static partial class UsbtmcInterop
{
    public const int ORdWr = 0x2;
    public const int OCloExec = 0x80000;

    public const short PollIn = 0x1;

    public const int EIntr = 4;
    public const int EIo = 5;
    public const int EAgain = 11;
    public const int ENoDev = 19;
    public const int ENotTy = 25;
    public const int ETimedOut = 110;

    /// <summary>USBTMC_IOC_NR, the ioctl type of linux/usb/tmc.h ('[').</summary>
    private const uint IocNr = 91;

    /// <summary>USBTMC_IOCTL_CLEAR = _IO(USBTMC_IOC_NR, 2): INITIATE_CLEAR / CHECK_CLEAR_STATUS (USBTMC 1.0 sections 4.2.1.6–7), then the bulk endpoints are reset.</summary>
    public const uint IoctlClear = (IocNr << 8) | 2;

    /// <summary>USBTMC_IOCTL_SET_TIMEOUT = _IOW(USBTMC_IOC_NR, 10, __u32), Linux 4.19+: the driver's per-transfer timeout in ms (at least 100).</summary>
    public const uint IoctlSetTimeout = (1u << 30) | (sizeof(uint) << 16) | (IocNr << 8) | 10;

    /// <summary>The driver refuses timeouts below USBTMC_MIN_TIMEOUT (100 ms, drivers/usb/class/usbtmc.c).</summary>
    public const uint MinTimeoutMs = 100;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>struct pollfd (poll(2)): the same layout in every Linux C library.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }
}

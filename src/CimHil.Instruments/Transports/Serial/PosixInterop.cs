using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CimHil.Instruments.Transports.Serial;

/// <summary>
/// The few libc calls a serial port needs (open/read/write/poll, termios). Constants are the Linux generic
/// values from asm-generic/termbits.h and asm-generic/fcntl.h (x86-64 and arm64 share them).
/// </summary>
internal static partial class PosixInterop
{
    public const int ORdWr = 0x2;
    public const int ONoCtty = 0x100;
    public const int ONonBlock = 0x800;

    public const short PollIn = 0x1;
    public const short PollOut = 0x4;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;
    public const short PollNval = 0x20;

    public const int EIntr = 4;
    public const int EIo = 5;
    public const int EAgain = 11;

    public const int TcsaNow = 0;
    public const int TcIFlush = 0;
    public const int TcIOFlush = 2;

    // c_iflag
    public const uint InPck = 0x10;
    public const uint IxOn = 0x400;
    public const uint IxAny = 0x800;
    public const uint IxOff = 0x1000;

    // c_cflag
    public const uint CSize = 0x30;
    public const uint Cs5 = 0x0;
    public const uint Cs6 = 0x10;
    public const uint Cs7 = 0x20;
    public const uint Cs8 = 0x30;
    public const uint CStopB = 0x40;
    public const uint CRead = 0x80;
    public const uint ParEnb = 0x100;
    public const uint ParOdd = 0x200;
    public const uint CLocal = 0x800;
    public const uint CMSpar = 0x40000000;
    public const uint CRtsCts = 0x80000000;

    // c_cc indices
    public const int VTime = 5;
    public const int VMin = 6;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, out Termios termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int optionalActions, in Termios termios);

    [LibraryImport("libc", EntryPoint = "tcflush", SetLastError = true)]
    public static partial int TcFlush(int fd, int queueSelector);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    public static partial void CfMakeRaw(ref Termios termios);

    [LibraryImport("libc", EntryPoint = "cfsetispeed", SetLastError = true)]
    public static partial int CfSetISpeed(ref Termios termios, uint speed);

    [LibraryImport("libc", EntryPoint = "cfsetospeed", SetLastError = true)]
    public static partial int CfSetOSpeed(ref Termios termios, uint speed);

    /// <summary>The B* speed constant for a baud rate (asm-generic/termbits.h); null when Linux has none.</summary>
    public static uint? SpeedConstant(int baud) => baud switch
    {
        300 => 0x7,
        600 => 0x8,
        1200 => 0x9,
        1800 => 0xA,
        2400 => 0xB,
        4800 => 0xC,
        9600 => 0xD,
        19200 => 0xE,
        38400 => 0xF,
        57600 => 0x1001,
        115200 => 0x1002,
        230400 => 0x1003,
        460800 => 0x1004,
        500000 => 0x1005,
        576000 => 0x1006,
        921600 => 0x1007,
        1000000 => 0x1008,
        _ => null,
    };

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    /// <summary>glibc struct termios (NCCS = 32), 60 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Termios
    {
        public uint IFlag;
        public uint OFlag;
        public uint CFlag;
        public uint LFlag;
        public byte Line;
        public ControlChars Cc;
        public uint ISpeed;
        public uint OSpeed;
    }

    /// <summary>c_cc[NCCS].</summary>
    [InlineArray(32)]
    public struct ControlChars
    {
        private byte _element;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CimHil.Emulator.Wire;

/// <summary>
/// libc calls for a Unix98 pseudo-terminal (pty(7): posix_openpt, grantpt, unlockpt, ptsname_r) and raw termios.
/// Constants are the Linux generic values (asm-generic/fcntl.h, termbits.h). Blittable signatures only, so plain
/// DllImport marshals without copies.
/// </summary>
internal static class PtyInterop
{
    public const int ORdWr = 0x2;
    public const int ONoCtty = 0x100;
    public const int ONonBlock = 0x800;
    public const short PollIn = 0x1;
    public const short PollOut = 0x4;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;
    public const int EIntr = 4;
    public const int EIo = 5;
    public const int EAgain = 11;
    public const int TcsaNow = 0;

    [DllImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    public static extern int PosixOpenPt(int flags);

    [DllImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    public static extern int GrantPt(int fd);

    [DllImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    public static extern int UnlockPt(int fd);

    [DllImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    public static extern int PtsNameR(int fd, byte[] buffer, nuint length);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    public static extern int Open(byte[] pathNulTerminated, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, byte[] buffer, nuint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(int fd, byte[] buffer, nuint count);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static extern int Poll(ref PollFd fd, nuint count, int timeoutMs);

    [DllImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static extern int TcGetAttr(int fd, out Termios termios);

    [DllImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static extern int TcSetAttr(int fd, int optionalActions, ref Termios termios);

    [DllImport("libc", EntryPoint = "cfmakeraw")]
    public static extern void CfMakeRaw(ref Termios termios);

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    /// <summary>glibc struct termios (NCCS = 32).</summary>
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

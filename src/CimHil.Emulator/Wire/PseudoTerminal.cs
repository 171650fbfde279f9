using System.Runtime.InteropServices;
using System.Text;
using static CimHil.Emulator.Wire.PtyInterop;

namespace CimHil.Emulator.Wire;

/// <summary>
/// A Linux pseudo-terminal (pty(7)) whose slave side (<see cref="DevicePath"/>, e.g. /dev/pts/7) a serial client opens as
/// <c>ASRL/dev/pts/7::INSTR</c>, and whose master side an emulated instrument serves through <see cref="MasterStream"/>.
/// The line is put in raw mode so bytes pass untouched (no echo, no CR/LF mapping) even before the client configures it.
/// </summary>
public sealed class PseudoTerminal : IDisposable
{
    private int _master = -1;
    private int _slaveKeepAlive = -1;

    /// <summary>The slave device clients open (valid after <see cref="Create"/>).</summary>
    public string DevicePath { get; private set; } = string.Empty;

    /// <summary>The VISA resource string clients open.</summary>
    public string ResourceString => $"ASRL{DevicePath}::INSTR";

    /// <summary>The master side; reads wait in poll(2) slices so cancellation is honoured.</summary>
    public Stream MasterStream { get; private set; } = Stream.Null;

    /// <summary>Creates the pseudo-terminal, holds its slave open and puts it in raw mode.</summary>
    public void Create()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("an emulated serial line needs Linux (posix_openpt)");
        }

        _master = PosixOpenPt(ORdWr | ONoCtty);
        if (_master < 0)
        {
            throw Failure("posix_openpt");
        }

        if (GrantPt(_master) != 0)
        {
            throw Failure("grantpt");
        }

        if (UnlockPt(_master) != 0)
        {
            throw Failure("unlockpt");
        }

        var name = new byte[256];
        var rc = PtsNameR(_master, name, (nuint)name.Length);
        if (rc != 0)
        {
            throw new IOException($"ptsname_r failed: {ErrorText(rc)}");
        }

        DevicePath = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));

        // Hold the slave open ourselves: with no slave open, reads on the master fail with EIO (pty(7)), and a client
        // that closes and re-opens the line (a reconnect) would otherwise hang the server up.
        var path = Encoding.ASCII.GetBytes(DevicePath + "\0");
        _slaveKeepAlive = Open(path, ORdWr | ONoCtty | ONonBlock);
        if (_slaveKeepAlive < 0)
        {
            throw Failure($"open {DevicePath}");
        }

        if (TcGetAttr(_slaveKeepAlive, out var t) != 0)
        {
            throw Failure("tcgetattr");
        }

        CfMakeRaw(ref t);
        if (TcSetAttr(_slaveKeepAlive, TcsaNow, ref t) != 0)
        {
            throw Failure("tcsetattr");
        }

        MasterStream = new PtyMasterStream(_master);
    }

    public void Dispose()
    {
        if (_slaveKeepAlive >= 0)
        {
            _ = Close(_slaveKeepAlive);
            _slaveKeepAlive = -1;
        }

        if (_master >= 0)
        {
            _ = Close(_master);
            _master = -1;
        }
    }

    private static IOException Failure(string call) =>
        new($"{call} failed: {ErrorText(Marshal.GetLastPInvokeError())}");
}

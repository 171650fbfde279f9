using System.Runtime.InteropServices;
using System.Text;
using Serilog;
using static CimHil.Emulator.Wire.PtyInterop;

namespace CimHil.Emulator.Wire;

/// <summary>
/// Serves a <see cref="BoardServer"/> on a serial line: a pseudo-terminal whose slave side (<see cref="DevicePath"/>,
/// e.g. /dev/pts/7) any serial client opens as <c>ASRL/dev/pts/7::INSTR</c>. The line is put in raw mode so bytes pass
/// untouched (no echo, no CR/LF mapping) even before the client configures it.
/// </summary>
public sealed class BoardPtyServer : IAsyncDisposable
{
    private readonly BoardServer _board;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private int _master = -1;
    private int _slaveKeepAlive = -1;
    private Task? _serving;

    public BoardPtyServer(BoardServer board, ILogger logger)
    {
        _board = board;
        _logger = logger;
    }

    /// <summary>The slave device clients open (valid after <see cref="Start"/>).</summary>
    public string DevicePath { get; private set; } = string.Empty;

    /// <summary>The VISA resource string clients open.</summary>
    public string ResourceString => $"ASRL{DevicePath}::INSTR";

    /// <summary>Creates the pseudo-terminal and starts serving it.</summary>
    public void Start()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the pseudo-terminal board server needs Linux (posix_openpt)");
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

        var stream = new PtyMasterStream(_master);
        _serving = Task.Run(() => _board.ServeAsync(stream, canDrop: false, DevicePath, _stop.Token));
        _logger.Information("Board serving serial line {Resource}", ResourceString);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_serving is not null)
        {
            await _serving.ConfigureAwait(false);
        }

        if (_slaveKeepAlive >= 0)
        {
            _ = Close(_slaveKeepAlive);
        }

        if (_master >= 0)
        {
            _ = Close(_master);
        }

        _stop.Dispose();
    }

    private static IOException Failure(string call) =>
        new($"{call} failed: {ErrorText(Marshal.GetLastPInvokeError())}");

    /// <summary>The master side as a Stream; reads wait in poll(2) slices so cancellation is honoured.</summary>
    private sealed class PtyMasterStream(int fd) : Stream
    {
        private const int SliceMs = 50;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        // Waiting for a client can take arbitrarily long: a dedicated thread, not a thread-pool worker, does the waiting.
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Task.Factory.StartNew(() => ReadBlocking(buffer, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Task.Run(() => WriteBlocking(buffer, cancellationToken), cancellationToken));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadBlocking(buffer.AsMemory(offset, count), CancellationToken.None);

        public override void Write(byte[] buffer, int offset, int count) => WriteBlocking(buffer.AsMemory(offset, count), CancellationToken.None);

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private int ReadBlocking(Memory<byte> destination, CancellationToken cancellationToken)
        {
            var scratch = new byte[destination.Length];
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var pfd = new PollFd { Fd = fd, Events = PollIn };
                if (PtyInterop.Poll(ref pfd, 1, SliceMs) <= 0 || (pfd.REvents & PollIn) == 0)
                {
                    continue;
                }

                var n = PtyInterop.Read(fd, scratch, (nuint)scratch.Length);
                if (n > 0)
                {
                    scratch.AsSpan(0, (int)n).CopyTo(destination.Span);
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is EAgain or EIntr or EIo)
                {
                    // EIO: no slave open right now; we keep one open, so this is transient.
                    continue;
                }

                throw new IOException($"read from pseudo-terminal master failed: {ErrorText(errno)}");
            }
        }

        private void WriteBlocking(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            var bytes = data.ToArray();
            var offset = 0;
            while (offset < bytes.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var pfd = new PollFd { Fd = fd, Events = PollOut };
                if (PtyInterop.Poll(ref pfd, 1, SliceMs) <= 0)
                {
                    continue;
                }

                var chunk = offset == 0 ? bytes : bytes[offset..];
                var n = PtyInterop.Write(fd, chunk, (nuint)chunk.Length);
                if (n > 0)
                {
                    offset += (int)n;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (EAgain or EIntr))
                {
                    throw new IOException($"write to pseudo-terminal master failed: {ErrorText(errno)}");
                }
            }
        }
    }
}

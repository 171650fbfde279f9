using System.Runtime.InteropServices;
using static CimHil.Emulator.Wire.PtyInterop;

namespace CimHil.Emulator.Wire;

/// <summary>The master side as a Stream; reads wait in poll(2) slices so cancellation is honoured.</summary>
internal sealed class PtyMasterStream(int fd) : Stream
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

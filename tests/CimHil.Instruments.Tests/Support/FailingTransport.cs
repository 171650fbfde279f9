using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// A link on which every write fails with <paramref name="failure"/> and drops the link, counting writes and re-opens:
/// how often a session tries an exchange, and whether it reconnects before each new attempt. No socket, no clock.
/// </summary>
internal sealed class FailingTransport(Func<Exception> failure) : ITransport
{
    public string Resource => "FAILING::INSTR";

    public bool IsOpen { get; private set; } = true;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Messages the session tried to send (each attempt writes once before it fails).</summary>
    public int Writes { get; private set; }

    /// <summary>Times the session re-opened the link.</summary>
    public int Opens { get; private set; }

    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        Opens++;
        IsOpen = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Writes++;
        IsOpen = false;
        return ValueTask.FromException(failure());
    }

    public ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("a failed write is never followed by a read");

    public ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("a failed write is never followed by a read");

    public ValueTask ClearAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask CloseAsync()
    {
        IsOpen = false;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// A link that answers every read at once with the same line, from one completed task it keeps: the transport itself
/// allocates nothing, so whatever a session allocates over it is the session's own.
/// </summary>
internal sealed class InstantReplyTransport(byte[] line) : ITransport
{
    private readonly Task<byte[]> _reply = Task.FromResult(line);

    public string Resource => "INSTANT::INSTR";

    public bool IsOpen => true;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    public Task OpenAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken) => _reply;

    public Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the instant transport answers lines only");

    public Task ClearAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CloseAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

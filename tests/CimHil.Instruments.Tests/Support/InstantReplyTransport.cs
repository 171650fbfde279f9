using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// A link that answers every read at once with the same line, in a completed <see cref="ValueTask{TResult}"/> around
/// the one array it keeps: the transport itself allocates nothing, so whatever a session allocates over it is the session's own.
/// </summary>
internal sealed class InstantReplyTransport(byte[] line) : ITransport
{
    public string Resource => "INSTANT::INSTR";

    public bool IsOpen => true;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken) => new(line);

    public ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the instant transport answers lines only");

    public ValueTask ClearAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask CloseAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

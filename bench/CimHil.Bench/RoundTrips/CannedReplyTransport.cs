using CimHil.Instruments.Transports;

namespace CimHil.Bench.RoundTrips;

/// <summary>
/// A transport that answers every read at once with the same line: no kernel, no peer, so a session over it costs
/// only the session's own code (lock, resilience, framing), which is what the socket round trip cannot isolate.
/// </summary>
internal sealed class CannedReplyTransport(byte[] reply) : ITransport
{
    public string Resource => "CANNED::INSTR";

    public bool IsOpen => true;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    public ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken) => ValueTask.FromResult(reply);

    public ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken) => ValueTask.FromResult(reply[..count]);

    public ValueTask ClearAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask CloseAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

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

    public Task OpenAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken) => Task.FromResult(reply);

    public Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken) => Task.FromResult(reply[..count]);

    public Task ClearAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CloseAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

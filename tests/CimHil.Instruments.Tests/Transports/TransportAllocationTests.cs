using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>
/// A write and a read on a real socket allocate nothing but the reply's array (issue 18, fifth round: before, each read
/// was a <see cref="Task{TResult}"/> and each call re-armed a timer). Counted in bytes on this thread: the far end
/// answers before the read is issued, so a call completes synchronously here and nothing of it runs on another thread;
/// the rare query whose reply was not yet in the socket when the read was issued is left out of the count.
/// A caller's token that can cancel is passed, so the link to it is on the measured path too.
/// </summary>
public sealed class TransportAllocationTests
{
    private const int Calls = 1000;

    /// <summary>Keeps the floor's arrays alive, so the JIT cannot put them on the stack.</summary>
    private static byte[]? _sink;

    [Fact]
    public async Task QueryOnARealSocket_AllocatesOnlyTheReplyArray()
    {
        using var peer = new RawSocketPeer();
        await using var transport = await peer.ConnectAsync(TimeSpan.FromSeconds(10));
        using var caller = new CancellationTokenSource();
        var command = "*OPC?\n"u8.ToArray();
        for (var i = 0; i < 200; i++)
        {
            await QueryAsync(transport, peer, command, caller.Token); // JIT, tiering, the token's registration nodes
        }

        // The floor for any byte[]-returning read of "1": the array itself.
        var floorBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            _sink = new byte[1];
        }

        var floor = (GC.GetAllocatedBytesForCurrentThread() - floorBefore) / (double)Calls;

        long bytes = 0;
        var counted = 0;
        for (var i = 0; i < Calls; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var pending = QueryAsync(transport, peer, command, caller.Token);
            var spent = GC.GetAllocatedBytesForCurrentThread() - before;
            var synchronous = pending.IsCompletedSuccessfully;
            Assert.Equal("1"u8.ToArray(), await pending); // allocates: outside the counted span
            if (synchronous)
            {
                counted++;
                bytes += spent;
            }
        }

        Assert.InRange(floor, 24, 40); // a sanity check of the measurement: one one-byte array
        Assert.True(counted >= Calls / 2, $"only {counted} of {Calls} replies were in the socket when read");
        Assert.Equal(floor, bytes / (double)counted);
    }

    /// <summary>Writes the command, lets the peer read it and answer, then reads the answer (normally already there).</summary>
    private static ValueTask<byte[]> QueryAsync(TcpSocketTransport transport, RawSocketPeer peer, byte[] command, CancellationToken token)
    {
        var write = transport.WriteAsync(command, token);
        if (!write.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("the write did not complete synchronously");
        }

        write.GetAwaiter().GetResult();
        peer.Skip(command.Length);
        peer.Send("1\n"u8);
        return transport.ReadUntilAsync((byte)'\n', 64, token);
    }
}

using System.Text;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Scpi;

/// <summary>Exact bytes on the wire, over the in-memory loopback transport with a scripted peer.</summary>
public sealed class ScpiSessionLoopbackTests
{
    private static async Task<string> ReadLineAsync(LoopbackTransport peer) =>
        Encoding.ASCII.GetString(await peer.ReadUntilAsync((byte)'\n', 1 << 20, CancellationToken.None));

    private static ValueTask ReplyAsync(LoopbackTransport peer, string text) =>
        peer.WriteAsync(Encoding.ASCII.GetBytes(text), CancellationToken.None);

    private static (ScpiSession Session, LoopbackTransport Peer) Pair(bool shortTimeout = false)
    {
        var (client, server) = LoopbackTransport.CreatePair(timeout: TimeSpan.FromSeconds(5));
        return (new ScpiSession(client, shortTimeout ? BoardFixture.ShortTimeout : BoardFixture.FastConfig, BoardFixture.Logger), server);
    }

    [Fact]
    public async Task Identify_SendsIdnQueryWithLfAndParsesTheReply()
    {
        var (session, peer) = Pair();
        var query = session.IdentifyAsync(CancellationToken.None);
        var bytes = await peer.ReadUntilAsync((byte)'\n', 100, CancellationToken.None);
        Assert.Equal("*IDN?"u8.ToArray(), bytes);
        await ReplyAsync(peer, "CimHil,Board,SN1,1.0\r\n");
        Assert.Equal(new InstrumentIdentity("CimHil", "Board", "SN1", "1.0"), await query);
    }

    [Fact]
    public async Task ExecuteNonIdempotent_SendsCommandOpcAndErrorQueryInOneWrite()
    {
        var (session, peer) = Pair();
        var execute = session.ExecuteNonIdempotentAsync("CELL:PROG 1,2,SET,1.2,1e-06", CancellationToken.None);
        var sent = await peer.ReadExactAsync("CELL:PROG 1,2,SET,1.2,1e-06\n*OPC?\nSYST:ERR?\n".Length, CancellationToken.None);
        Assert.Equal("CELL:PROG 1,2,SET,1.2,1e-06\n*OPC?\nSYST:ERR?\n", Encoding.ASCII.GetString(sent));
        await ReplyAsync(peer, "1\n0,\"No error\"\n");
        await execute;
    }

    [Fact]
    public async Task ExecuteNonIdempotent_InstrumentError_ThrowsScpiErrorWithCodeMessageAndCommand()
    {
        var (session, peer) = Pair();
        var execute = session.ExecuteNonIdempotentAsync("CELL:PROG 99,0,SET,1,1e-6", CancellationToken.None);
        Assert.Equal("CELL:PROG 99,0,SET,1,1e-6", await ReadLineAsync(peer));
        Assert.Equal("*OPC?", await ReadLineAsync(peer));
        Assert.Equal("SYST:ERR?", await ReadLineAsync(peer));
        await ReplyAsync(peer, "1\n-222,\"Data out of range;cell (99,0)\"\n");

        // The session drains the rest of the queue before raising.
        Assert.Equal("SYST:ERR?", await ReadLineAsync(peer));
        await ReplyAsync(peer, "-109,\"Missing parameter\"\n");
        Assert.Equal("SYST:ERR?", await ReadLineAsync(peer));
        await ReplyAsync(peer, "0,\"No error\"\n");

        var ex = await Assert.ThrowsAsync<ScpiErrorException>(() => execute);
        Assert.Equal((-222, "Data out of range;cell (99,0)", "CELL:PROG 99,0,SET,1,1e-6"), (ex.Code, ex.ErrorMessage, ex.Command));
        Assert.Equal([-222, -109], ex.AllErrors.Select(e => e.Code));
    }

    [Fact]
    public async Task QueryBlock_ReadsDefiniteLengthBlockContainingLfBytes()
    {
        var (session, peer) = Pair();
        var query = session.QueryBlockAsync("BLK:READ? 0,0,1,2,0.2", CancellationToken.None);
        Assert.Equal("BLK:READ? 0,0,1,2,0.2", await ReadLineAsync(peer));
        byte[] payload = [0x0A, 0x0A, 0x23, 0x00, 0xFF, 0x0A];
        await peer.WriteAsync(BinaryBlock.Encode(payload).Concat("\n"u8.ToArray()).ToArray(), CancellationToken.None);
        Assert.Equal(payload, await query);
    }

    [Fact]
    public async Task Write_SendsExactlyTheCommandAndTerminator()
    {
        var (session, peer) = Pair();
        await session.WriteAsync("*CLS", CancellationToken.None);
        Assert.Equal("*CLS\n"u8.ToArray(), await peer.ReadExactAsync(5, CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentQueries_NeverInterleave()
    {
        var (session, peer) = Pair();
        var echo = Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var line = await ReadLineAsync(peer);
                await Task.Delay(1);
                await ReplyAsync(peer, $"echo {line}\n");
            }
        });

        var queries = Enumerable.Range(0, 40).Select(i => Task.Run(() => session.QueryAsync($"Q{i}?", CancellationToken.None))).ToArray();
        var replies = await Task.WhenAll(queries);
        await echo;
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal($"echo Q{i}?", replies[i]);
        }
    }

    [Fact]
    public async Task Query_SilentThenErrorInQueue_ThrowsScpiErrorNotTimeout()
    {
        var (session, peer) = Pair(shortTimeout: true);
        var query = session.QueryAsync("BOGUS?", CancellationToken.None);
        Assert.Equal("BOGUS?", await ReadLineAsync(peer));

        // A SCPI instrument stays silent after a bad query; after the read timeout the session asks the error queue.
        Assert.Equal("SYST:ERR?", await ReadLineAsync(peer));
        await ReplyAsync(peer, "-113,\"Undefined header\"\n");
        Assert.Equal("SYST:ERR?", await ReadLineAsync(peer));
        await ReplyAsync(peer, "0,\"No error\"\n");

        var ex = await Assert.ThrowsAsync<ScpiErrorException>(() => query);
        Assert.Equal((-113, "BOGUS?"), (ex.Code, ex.Command));
    }

    [Fact]
    public async Task Query_SilentAndEmptyErrorQueue_RetriesThenTimesOut()
    {
        var (session, peer) = Pair(shortTimeout: true);
        var query = session.QueryAsync("SLOW?", CancellationToken.None);
        var lines = new List<string>();
        var peerTask = Task.Run(async () =>
        {
            while (true)
            {
                var line = await ReadLineAsync(peer);
                lines.Add(line);
                if (line == "SYST:ERR?")
                {
                    await ReplyAsync(peer, "0,\"No error\"\n");
                }

                if (lines.Count == 8)
                {
                    return;
                }
            }
        });

        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(() => query);
        await peerTask;
        Assert.Contains("SLOW?", ex.Message, StringComparison.Ordinal);

        // 1 attempt + 3 retries (FastConfig.Retries), each followed by one error-queue probe.
        Assert.Equal(Enumerable.Repeat(new[] { "SLOW?", "SYST:ERR?" }, 4).SelectMany(x => x), lines);
    }
}

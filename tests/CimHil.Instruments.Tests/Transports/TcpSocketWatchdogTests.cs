using System.Diagnostics;
using System.Text;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>
/// The transport's per-transport watchdog (issue 18, fifth round: one lazy timer per transport in place of a deadline
/// re-armed for every read and write) on a real loopback socket whose far end the test drives: a stalled reply still
/// times out at the call's own start + <c>Timeout</c>, with the same exception as before, and the link stays usable.
/// </summary>
public sealed class TcpSocketWatchdogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task StalledReply_TimesOutWithTheOperationAndTheTimeout_AndTheLinkStaysOpen()
    {
        using var peer = new RawSocketPeer();
        await using var transport = await peer.ConnectAsync(Timeout);
        await transport.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("*IDN?\n", peer.Receive(6));
        peer.Send("CIM"u8); // part of a reply, then silence

        var ex = await ReadTimingOutAsync(transport);

        Assert.Equal(Timeout, ex.Timeout);
        Assert.Equal("reading a reply (3 bytes received, no terminator)", ex.Operation);
        Assert.True(transport.IsOpen); // a timeout is not a dropped link: the session decides to re-open (as before)
    }

    [Fact]
    public async Task Watchdog_ArmedByAnEarlierCall_GivesALaterStalledCallItsWholeTimeout()
    {
        using var peer = new RawSocketPeer();
        await using var transport = await peer.ConnectAsync(Timeout);

        // A quick exchange arms the lazy timer for its own start + Timeout; it stays armed after the call ends.
        await transport.WriteAsync("A\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("A\n", peer.Receive(2));
        await Task.Delay(Timeout / 2);

        // This read starts half a Timeout later: the timer's first firing must not end it, only its own limit.
        var started = Stopwatch.GetTimestamp();
        await ReadTimingOutAsync(transport);

        Assert.True(Stopwatch.GetElapsedTime(started) >= Timeout, $"timed out after {Stopwatch.GetElapsedTime(started).TotalMilliseconds} ms, before its {Timeout.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task AfterATimeout_TheSameSocketCarriesTheLateReplyAndTheNextExchange()
    {
        using var peer = new RawSocketPeer();
        await using var transport = await peer.ConnectAsync(Timeout);
        await ReadTimingOutAsync(transport);

        // The late reply is still there for whoever reads next (the session re-opens the link so it never takes it).
        peer.Send("late\n"u8);
        Assert.Equal("late"u8.ToArray(), await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));

        await AssertExchangeAsync(transport, peer, "*OPC?", "1");
    }

    [Fact]
    public async Task AfterATimeout_AReopenedLinkGetsAFreshWatchdog()
    {
        using var peer = new RawSocketPeer();
        await using var transport = await peer.ConnectAsync(Timeout);
        await ReadTimingOutAsync(transport);

        await peer.AcceptAsync(transport.OpenAsync(CancellationToken.None));
        await AssertExchangeAsync(transport, peer, "*IDN?", "CimHil,board,0,1");
    }

    [Fact]
    public async Task CallerCancellation_IsNotATimeout()
    {
        using var peer = new RawSocketPeer();
        await using var transport = await peer.ConnectAsync(TimeSpan.FromSeconds(30));
        using var caller = new CancellationTokenSource();
        var read = transport.ReadUntilAsync((byte)'\n', 1024, caller.Token).AsTask();
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(30)));
        peer.Send("1\n"u8);
        Assert.Equal("1"u8.ToArray(), await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));
    }

    /// <summary>A read that the watchdog must end (a 30 s guard in case it never does).</summary>
    private static Task<InstrumentTimeoutException> ReadTimingOutAsync(TcpSocketTransport transport) =>
        Assert.ThrowsAsync<InstrumentTimeoutException>(
            async () => await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

    /// <summary>One query through the transport: the exact bytes on the wire, and the peer's reply read back.</summary>
    private static async Task AssertExchangeAsync(TcpSocketTransport transport, RawSocketPeer peer, string command, string reply)
    {
        await transport.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), CancellationToken.None);
        Assert.Equal(command + "\n", peer.Receive(command.Length + 1));
        peer.Send(Encoding.ASCII.GetBytes(reply + "\n"));
        Assert.Equal(reply, Encoding.ASCII.GetString(await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None)));
    }
}

using System.Net.Sockets;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>
/// A receive that fails on the socket (not a timeout, not a clean close) is an <see cref="InstrumentIOException"/> that
/// names the socket error and marks the link dropped, so the session re-opens it. Issue 18's fifth round moved that
/// translation from the socket transport's read frame (now gone) to the base class; this pins that nothing changed.
/// </summary>
public sealed class TcpSocketReceiveFailureTests
{
    [Fact]
    public async Task ResetByThePeer_IsAnIOExceptionNamingTheSocketError_AndDropsTheLink()
    {
        using var peer = new RawSocketPeer();
        await using var transport = await peer.ConnectAsync(TimeSpan.FromSeconds(10));
        await transport.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal("*IDN?\n", peer.Receive(6));
        peer.Reset();

        var ex = await Assert.ThrowsAsync<InstrumentIOException>(
            async () => await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal($"{transport.Resource}: receive failed: {SocketError.ConnectionReset}", ex.Message);
        Assert.IsType<SocketException>(ex.InnerException);
        Assert.False(transport.IsOpen);
    }
}

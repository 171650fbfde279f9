using System.Net;
using System.Net.Sockets;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Transports.HiSlip;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>
/// CimHil's HiSLIP client against a scripted peer on real loopback sockets: the exact bytes of every header it sends
/// (IVI-6.1 "HiSLIP Message Format"), written out by hand here rather than produced by the shared codec.
/// </summary>
public sealed class HiSlipTransportWireTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Open_SendsInitialize_AsyncInitialize_AndMaximumMessageSize_ByteForByte()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (sync, asyncChannel) = await peer.HandshakeAsync(sessionId: 0x0102, serverMaxBytes: 1000);

        await using var transport = await opening;
        Assert.Equal(
            [.. "HS"u8, 0, 0, 0x02, 0x00, (byte)'C', (byte)'H', 0, 0, 0, 0, 0, 0, 0, 7, .. "hislip0"u8],
            sync.Initialize);
        Assert.Equal([.. "HS"u8, 17, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0], asyncChannel.AsyncInitialize);
        Assert.Equal([.. "HS"u8, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0x04, 0, 0, 0], asyncChannel.MaximumMessageSize);
        Assert.Equal((ushort)0x0102, transport.SessionId);
        Assert.Equal((ushort)0x0200, transport.ServerVersion);
        Assert.Equal(1000UL, transport.ServerMaxMessageBytes);
        Assert.Equal(0xFFFFFF00u, transport.NextMessageId);
    }

    [Fact]
    public async Task Query_SendsDataEndWithMessageIdFromFFFFFF00_ThenRmtDeliveredOnTheNextMessage()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (sync, _) = await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 1 << 20);
        await using var transport = await opening;

        await transport.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 6, .. "*IDN?\n"u8], await sync.ReceiveAsync(16 + 6));

        // The reply comes in two messages (Data then DataEnd) and is read as one terminated message.
        await sync.SendAsync([.. "HS"u8, 6, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 3, .. "A,B"u8]);
        await sync.SendAsync([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 3, .. ",C\n"u8]);
        Assert.Equal("A,B,C"u8.ToArray(), await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));

        // The next message carries RMT-delivered (control code 1) and MessageID + 2.
        await transport.WriteAsync("X\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal([.. "HS"u8, 7, 1, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 2, .. "X\n"u8], await sync.ReceiveAsync(16 + 2));
        await transport.WriteAsync("Y\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x04, 0, 0, 0, 0, 0, 0, 0, 2, .. "Y\n"u8], await sync.ReceiveAsync(16 + 2));
    }

    [Fact]
    public async Task Write_LongerThanTheServersMaximum_GoesAsDataMessagesThenDataEnd()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (sync, _) = await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 4);
        await using var transport = await opening;

        await transport.WriteAsync("ABCDEFGHI\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal([.. "HS"u8, 6, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 4, .. "ABCD"u8], await sync.ReceiveAsync(20));
        Assert.Equal([.. "HS"u8, 6, 0, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 4, .. "EFGH"u8], await sync.ReceiveAsync(20));
        Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x04, 0, 0, 0, 0, 0, 0, 0, 2, .. "I\n"u8], await sync.ReceiveAsync(18));
    }

    [Fact]
    public async Task Clear_RunsTheDeviceClearTransaction_DiscardsStaleData_AndRestartsMessageIds()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (sync, asyncChannel) = await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 1 << 20);
        await using var transport = await opening;
        await transport.WriteAsync("Q?\n"u8.ToArray(), CancellationToken.None);
        await sync.ReceiveAsync(16 + 3);

        var clearing = transport.ClearAsync(CancellationToken.None);
        Assert.Equal([.. "HS"u8, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await asyncChannel.ReceiveAsync(16));
        await asyncChannel.SendAsync([.. "HS"u8, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal([.. "HS"u8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], await sync.ReceiveAsync(16));

        // A late reply to the abandoned query arrives before the acknowledgement: it must not be read later.
        await sync.SendAsync([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 6, .. "stale\n"u8]);
        await sync.SendAsync([.. "HS"u8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        await clearing;

        Assert.Equal(0xFFFFFF00u, transport.NextMessageId);
        await transport.WriteAsync("Q?\n"u8.ToArray(), CancellationToken.None);
        Assert.Equal([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 3, .. "Q?\n"u8], await sync.ReceiveAsync(19));
        await sync.SendAsync([.. "HS"u8, 7, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 6, .. "fresh\n"u8]);
        Assert.Equal("fresh"u8.ToArray(), await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));
    }

    [Fact]
    public async Task LockAndUnlock_SendAsyncLockRequestWithTimeout_AndReleaseWithTheLastMessageId()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (sync, asyncChannel) = await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 1 << 20);
        await using var transport = await opening;

        var locking = transport.LockAsync(TimeSpan.FromMilliseconds(1500), CancellationToken.None);
        Assert.Equal([.. "HS"u8, 4, 1, 0, 0, 0x05, 0xDC, 0, 0, 0, 0, 0, 0, 0, 0], await asyncChannel.ReceiveAsync(16));
        await asyncChannel.SendAsync([.. "HS"u8, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        await locking;

        await transport.WriteAsync("A\n"u8.ToArray(), CancellationToken.None);
        await sync.ReceiveAsync(18);
        var unlocking = transport.UnlockAsync(CancellationToken.None);
        Assert.Equal([.. "HS"u8, 4, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], await asyncChannel.ReceiveAsync(16));
        await asyncChannel.SendAsync([.. "HS"u8, 5, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(() => unlocking);
        Assert.Equal($"TCPIP0::127.0.0.1::hislip0,{peer.Port}::INSTR: the lock release was refused: this client holds no lock (AsyncLockResponse control code 3)", ex.Message);
    }

    [Fact]
    public async Task LockNotGranted_IsATimeoutNamingTheWait()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (_, asyncChannel) = await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 1 << 20);
        await using var transport = await opening;
        var locking = transport.LockAsync(TimeSpan.Zero, CancellationToken.None);
        await asyncChannel.ReceiveAsync(16);
        await asyncChannel.SendAsync([.. "HS"u8, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(() => locking);
        Assert.Equal("waiting for the exclusive lock (another client holds it)", ex.Operation);
    }

    [Fact]
    public async Task FatalErrorDuringARead_DropsTheLink_AndNamesTheCodeAndText()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (sync, _) = await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 1 << 20);
        await using var transport = await opening;
        await sync.SendAsync([.. "HS"u8, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, .. "bad"u8]);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(async () => await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));
        Assert.Equal(
            $"TCPIP0::127.0.0.1::hislip0,{peer.Port}::INSTR: reading a reply: the HiSLIP server reported a fatal error: poorly formed message header (code 1): bad",
            ex.Message);
        Assert.False(transport.IsOpen);
    }

    [Fact]
    public async Task ErrorDuringARead_IsAProtocolErrorNamingTheCode()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var (sync, _) = await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 1 << 20);
        await using var transport = await opening;
        await sync.SendAsync([.. "HS"u8, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var ex = await Assert.ThrowsAsync<InstrumentProtocolException>(async () => await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));
        Assert.EndsWith("reading a reply: the HiSLIP server reported an error: message too large (code 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitializeRefusedWithAFatalError_OpenFailsNamingTheStep()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var sync = await peer.AcceptAsync();
        await sync.ReceiveAsync(16 + 7);
        await sync.SendAsync([.. "HS"u8, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(() => opening);
        Assert.EndsWith("Initialize (hislip0): the HiSLIP server reported a fatal error: server refused the connection: maximum number of clients exceeded (code 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptionMandatory_OpenFailsSayingWhatToUseInstead()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port);
        var sync = await peer.AcceptAsync();
        await sync.ReceiveAsync(16 + 7);
        await sync.SendAsync([.. "HS"u8, 1, 0x02, 0x02, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        var ex = await Assert.ThrowsAsync<InstrumentIOException>(() => opening);
        Assert.Contains("requires an encrypted connection (HiSLIP 2.0 TLS)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilentServer_ReadTimesOutAfterTheTransportTimeout_AndMarksTheLinkDropped()
    {
        await using var peer = await ScriptedPeer.StartAsync();
        var opening = OpenAsync(peer.Port, timeout: TimeSpan.FromMilliseconds(200));
        await peer.HandshakeAsync(sessionId: 1, serverMaxBytes: 1 << 20);
        await using var transport = await opening;
        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(async () => await transport.ReadUntilAsync((byte)'\n', 1024, CancellationToken.None));
        Assert.Equal(TimeSpan.FromMilliseconds(200), ex.Timeout);
        Assert.False(transport.IsOpen);
    }

    [Theory]
    [InlineData("TCPIP::10.0.0.5::hislip0::INSTR", "hislip0", 4880)]
    [InlineData("TCPIP0::10.0.0.5::hislip1,4881::INSTR", "hislip1", 4881)]
    public void ParseDevice_SplitsSubAddressAndPort(string resource, string subAddress, int port) =>
        Assert.Equal((subAddress, port), HiSlipTransport.ParseDevice((TcpInstrResource)VisaResource.Parse(resource)));

    [Fact]
    public void ParseDevice_BadPort_NamesTheResourceAndThePort()
    {
        var ex = Assert.Throws<ResourceFormatException>(() => HiSlipTransport.ParseDevice((TcpInstrResource)VisaResource.Parse("TCPIP::h::hislip0,99999::INSTR")));
        Assert.Equal("'TCPIP::h::hislip0,99999::INSTR' is not a valid VISA resource string: HiSLIP port '99999' in 'hislip0,99999' is not a TCP port (1..65535)", ex.Message);
    }

    private static async Task<HiSlipTransport> OpenAsync(int port, TimeSpan? timeout = null)
    {
        var transport = new HiSlipTransport((TcpInstrResource)VisaResource.Parse($"TCPIP::127.0.0.1::hislip0,{port}::INSTR"), timeout ?? Second, Second);
        await transport.OpenAsync(CancellationToken.None);
        return transport;
    }

    /// <summary>A listening socket whose accepted connections the test drives byte by byte.</summary>
    private sealed class ScriptedPeer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<PeerConnection> _connections = [];

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static Task<ScriptedPeer> StartAsync()
        {
            var peer = new ScriptedPeer();
            peer._listener.Start();
            return Task.FromResult(peer);
        }

        public async Task<PeerConnection> AcceptAsync()
        {
            using var cts = new CancellationTokenSource(Second);
            var connection = new PeerConnection(await _listener.AcceptSocketAsync(cts.Token));
            _connections.Add(connection);
            return connection;
        }

        /// <summary>Plays the server's half of the opening (Initialize, AsyncInitialize, AsyncMaximumMessageSize), recording what the client sent.</summary>
        public async Task<(PeerConnection Sync, PeerConnection Async)> HandshakeAsync(ushort sessionId, ulong serverMaxBytes)
        {
            var sync = await AcceptAsync();
            sync.Initialize = await sync.ReceiveAsync(16 + 7);
            await sync.SendAsync([.. "HS"u8, 1, 0, 0x02, 0x00, (byte)(sessionId >> 8), (byte)sessionId, 0, 0, 0, 0, 0, 0, 0, 0]);
            var asyncChannel = await AcceptAsync();
            asyncChannel.AsyncInitialize = await asyncChannel.ReceiveAsync(16);
            await asyncChannel.SendAsync([.. "HS"u8, 18, 0, 0, 0, (byte)'X', (byte)'Y', 0, 0, 0, 0, 0, 0, 0, 0]);
            asyncChannel.MaximumMessageSize = await asyncChannel.ReceiveAsync(16 + 8);
            var size = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(size, serverMaxBytes);
            await asyncChannel.SendAsync([.. "HS"u8, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, .. size]);
            return (sync, asyncChannel);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            _listener.Stop();
            _listener.Dispose();
            await Task.CompletedTask;
        }
    }

    private sealed class PeerConnection(Socket socket) : IDisposable
    {
        public byte[] Initialize { get; set; } = [];

        public byte[] AsyncInitialize { get; set; } = [];

        public byte[] MaximumMessageSize { get; set; } = [];

        public async Task<byte[]> ReceiveAsync(int count)
        {
            using var cts = new CancellationTokenSource(Second);
            var buffer = new byte[count];
            var got = 0;
            while (got < count)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
                Assert.NotEqual(0, n);
                got += n;
            }

            return buffer;
        }

        public async Task SendAsync(byte[] bytes) => await socket.SendAsync(bytes, SocketFlags.None);

        public void Dispose() => socket.Dispose();
    }
}

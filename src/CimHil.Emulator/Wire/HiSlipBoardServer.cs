using System.Collections.Concurrent;
using System.Net;
using System.Text;
using CimHil.Core.HiSlip;
using CimHil.Emulator.Wire.HiSlip;
using CimHil.Emulator.Wire.Vxi11;
using Serilog;

namespace CimHil.Emulator.Wire;

/// <summary>
/// Serves a <see cref="BoardServer"/> over HiSLIP (VISA <c>TCPIP::host::hislip0::INSTR</c>, IVI-6.1 HiSLIP 2.0,
/// synchronized mode, no encryption): one port for both channels, the board's limits and fault injection applied per
/// session. Real clients use port 4880; tests pass 0 and open <see cref="ResourceString"/>, which names the chosen port.
/// </summary>
public sealed class HiSlipBoardServer : IAsyncDisposable
{
    /// <summary>The server's vendor ID in AsyncInitializeResponse: two ASCII letters (not a registered VPP-9 code).</summary>
    private const uint ServerVendorId = ('C' << 8) | 'H';

    private const int MaxSubAddressBytes = 256;

    private readonly BoardServer _board;
    private readonly ILogger _logger;
    private readonly TcpClientHost _host;
    private readonly Vxi11DeviceLock _deviceLock = new();
    private readonly ConcurrentDictionary<ushort, HiSlipSession> _sessions = new();
    private int _nextSessionId;

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/> (0: a free port).</summary>
    public HiSlipBoardServer(BoardServer board, ILogger logger, IPAddress? address = null, int port = HiSlipWire.DefaultPort)
    {
        _board = board;
        _logger = logger;
        _host = new TcpClientHost(address, port, ServeConnectionAsync, logger, "HiSLIP");
    }

    public int Port => _host.Port;

    /// <summary>The VISA resource string clients open; a port other than 4880 is named after the sub-address (VPP-4.3 <c>hislip0,port</c>).</summary>
    public string ResourceString
    {
        get
        {
            var host = _host.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : _host.Address;
            return Port == HiSlipWire.DefaultPort ? $"TCPIP0::{host}::hislip0::INSTR" : $"TCPIP0::{host}::hislip0,{Port}::INSTR";
        }
    }

    /// <summary>Open TCP connections, two per session (for tests that check a dropped link was really closed).</summary>
    public int ConnectionCount => _host.ConnectionCount;

    /// <summary>Sessions with a live synchronous channel.</summary>
    public int SessionCount => _sessions.Count;

    public void Start() => _host.Start();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>The first message of a connection says which channel it is (IVI-6.1 "Initialization Transaction").</summary>
    private async Task ServeConnectionAsync(Stream stream, string peer, CancellationToken cancellationToken)
    {
        using var connection = new HiSlipConnection(stream);
        HiSlipHeader? first;
        try
        {
            first = await connection.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            await connection.SendFatalErrorAsync(1, ex.Message, cancellationToken).ConfigureAwait(false);
            return;
        }

        switch (first)
        {
            case null:
                return;
            case { Type: HiSlipMessageType.Initialize } initialize:
                await ServeSynchronousAsync(connection, initialize, peer, cancellationToken).ConfigureAwait(false);
                return;
            case { Type: HiSlipMessageType.AsyncInitialize } asyncInitialize:
                await ServeAsynchronousAsync(connection, asyncInitialize, cancellationToken).ConfigureAwait(false);
                return;
            case { } other:
                await connection.SendFatalErrorAsync(3, $"the first message must be Initialize or AsyncInitialize, not type {(byte)other.Type}", cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async Task ServeSynchronousAsync(HiSlipConnection connection, HiSlipHeader initialize, string peer, CancellationToken cancellationToken)
    {
        if (initialize.PayloadLength > MaxSubAddressBytes)
        {
            await connection.SendFatalErrorAsync(3, $"a {initialize.PayloadLength}-byte sub-address (at most {MaxSubAddressBytes})", cancellationToken).ConfigureAwait(false);
            return;
        }

        var subAddress = Encoding.ASCII.GetString(await connection.ReadPayloadAsync(initialize.PayloadLength, cancellationToken).ConfigureAwait(false));
        if (!string.Equals(subAddress, HiSlipWire.DefaultSubAddress, StringComparison.OrdinalIgnoreCase))
        {
            await connection.SendFatalErrorAsync(0, $"unknown sub-address '{subAddress}': this server serves {HiSlipWire.DefaultSubAddress}", cancellationToken).ConfigureAwait(false);
            return;
        }

        // The session speaks the lower of the two versions; this server implements 2.0 without its optional TLS.
        var version = Math.Min((ushort)(initialize.Parameter >> 16), HiSlipWire.Version20);
        var id = NextSessionId();
        var session = new HiSlipSession(id, _board, connection, _deviceLock, _logger, peer, cancellationToken);
        _sessions[id] = session;
        try
        {
            _logger.Debug("HiSLIP session {SessionId} opened by {Peer} (client version 0x{Version:X4})", id, peer, initialize.Parameter >> 16);
            await connection.SendAsync(HiSlipMessageType.InitializeResponse, 0, ((uint)version << 16) | id, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            await session.ServeSynchronousAsync().ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(id, out _);
            await session.DisposeAsync().ConfigureAwait(false);
            _logger.Debug("HiSLIP session {SessionId} of {Peer} closed", id, peer);
        }
    }

    private async Task ServeAsynchronousAsync(HiSlipConnection connection, HiSlipHeader asyncInitialize, CancellationToken cancellationToken)
    {
        await connection.SkipAsync(asyncInitialize.PayloadLength, cancellationToken).ConfigureAwait(false);
        var id = (ushort)asyncInitialize.Parameter;
        if (!_sessions.TryGetValue(id, out var session) || !session.Attach(connection))
        {
            await connection.SendFatalErrorAsync(3, $"AsyncInitialize names session {id}, which has no synchronous channel or already has an asynchronous one", cancellationToken).ConfigureAwait(false);
            return;
        }

        await connection.SendAsync(HiSlipMessageType.AsyncInitializeResponse, 0, ServerVendorId, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        await session.ServeAsynchronousAsync(connection).ConfigureAwait(false);
    }

    /// <summary>Session IDs 1..65535 in turn, skipping any still in use.</summary>
    private ushort NextSessionId()
    {
        while (true)
        {
            var id = (ushort)(Interlocked.Increment(ref _nextSessionId) % 65536);
            if (id != 0 && !_sessions.ContainsKey(id))
            {
                return id;
            }
        }
    }
}

using System.Buffers.Binary;
using CimHil.Core.HiSlip;
using CimHil.Emulator.Wire.Vxi11;
using Serilog;

namespace CimHil.Emulator.Wire.HiSlip;

/// <summary>
/// One HiSLIP session (IVI-6.1): the synchronous channel that created it, the asynchronous channel that joins it, and
/// the board served on its own stream. A board drop fault ends the board's serving, which closes both connections
/// without a reply, as a real link loss would.
/// </summary>
internal sealed class HiSlipSession : IAsyncDisposable
{
    private readonly BoardServer _board;
    private readonly HiSlipConnection _sync;
    private readonly Vxi11DeviceLock _deviceLock;
    private readonly ILogger _logger;
    private readonly string _peer;
    private readonly CancellationTokenSource _stop;
    private readonly Task _serving;
    private HiSlipConnection? _async;

    public HiSlipSession(ushort id, BoardServer board, HiSlipConnection sync, Vxi11DeviceLock deviceLock, ILogger logger, string peer, CancellationToken cancellationToken)
    {
        Id = id;
        _board = board;
        _sync = sync;
        _deviceLock = deviceLock;
        _logger = logger;
        _peer = peer;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Stream = new HiSlipSessionStream(id, sync, deviceLock);
        _serving = ServeBoardAsync();
    }

    public ushort Id { get; }

    public HiSlipSessionStream Stream { get; }

    /// <summary>Binds the asynchronous channel (AsyncInitialize); false when one is already bound.</summary>
    public bool Attach(HiSlipConnection asyncChannel) => Interlocked.CompareExchange(ref _async, asyncChannel, null) is null;

    /// <summary>Serves the synchronous channel until the client closes it, the board drops the link or the server stops.</summary>
    public async Task ServeSynchronousAsync()
    {
        var token = _stop.Token;
        try
        {
            while (await _sync.ReadHeaderAsync(token).ConfigureAwait(false) is { } header)
            {
                switch (header.Type)
                {
                    case HiSlipMessageType.Data or HiSlipMessageType.DataEnd or HiSlipMessageType.Trigger:
                        if (Volatile.Read(ref _async) is null)
                        {
                            await _sync.SendFatalErrorAsync(2, "Data before the asynchronous channel was established (send AsyncInitialize first)", token).ConfigureAwait(false);
                            return;
                        }

                        await ReceiveDataAsync(header, token).ConfigureAwait(false);
                        break;
                    case HiSlipMessageType.DeviceClearComplete:
                        // Feature setting 0: this server runs in synchronized mode only (IVI-6.1 "Device Clear Transaction").
                        await _sync.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        await _sync.SendAsync(HiSlipMessageType.DeviceClearAcknowledge, 0, 0, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
                        break;
                    default:
                        await _sync.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        await _sync.SendErrorAsync(1, $"message type {(byte)header.Type} is not served on the synchronous channel", token).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (InvalidDataException ex)
        {
            await _sync.SendFatalErrorAsync(1, ex.Message, token).ConfigureAwait(false);
        }
    }

    /// <summary>Serves the asynchronous channel (lock, device clear, status, size negotiation) until the session ends.</summary>
    public async Task ServeAsynchronousAsync(HiSlipConnection channel)
    {
        var token = _stop.Token;
        try
        {
            while (await channel.ReadHeaderAsync(token).ConfigureAwait(false) is { } header)
            {
                switch (header.Type)
                {
                    case HiSlipMessageType.AsyncLock:
                        await LockAsync(channel, header, token).ConfigureAwait(false);
                        break;
                    case HiSlipMessageType.AsyncLockInfo:
                        await channel.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        var owner = _deviceLock.Owner;
                        await channel.SendAsync(HiSlipMessageType.AsyncLockInfoResponse, owner == Id ? (byte)1 : (byte)0, owner is null ? 0u : 1u, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
                        break;
                    case HiSlipMessageType.AsyncMaximumMessageSize:
                        // The size the server accepts (IVI-6.1 "Maximum Message Size Transaction"): the board's longest program message.
                        await channel.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        var size = new byte[8];
                        BinaryPrimitives.WriteUInt64BigEndian(size, (ulong)_board.Options.MaxMessageBytes);
                        await channel.SendAsync(HiSlipMessageType.AsyncMaximumMessageSizeResponse, 0, 0, size, token).ConfigureAwait(false);
                        break;
                    case HiSlipMessageType.AsyncDeviceClear:
                        await channel.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        Stream.Clear();
                        _logger.Debug("HiSLIP session {SessionId} of {Peer}: device clear", Id, _peer);
                        await channel.SendAsync(HiSlipMessageType.AsyncDeviceClearAcknowledge, 0, 0, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
                        break;
                    case HiSlipMessageType.AsyncStatusQuery:
                        // The status byte is not emulated (the board has no service requests): 0.
                        await channel.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        await channel.SendAsync(HiSlipMessageType.AsyncStatusResponse, 0, 0, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
                        break;
                    case HiSlipMessageType.AsyncRemoteLocalControl:
                        await channel.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        await channel.SendAsync(HiSlipMessageType.AsyncRemoteLocalResponse, 0, 0, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
                        break;
                    default:
                        await channel.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
                        await channel.SendErrorAsync(1, $"message type {(byte)header.Type} is not served on the asynchronous channel", token).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (InvalidDataException ex)
        {
            await channel.SendFatalErrorAsync(1, ex.Message, token).ConfigureAwait(false);
        }
        finally
        {
            // Either channel closing ends the session (IVI-6.1 "Connection Closure").
            await _stop.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stream.Complete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _serving.ConfigureAwait(false);
        _deviceLock.Release(Id);
        _stop.Dispose();
    }

    /// <summary>Runs the board on this session's stream; when it stops on its own (a drop fault), both connections are closed.</summary>
    private async Task ServeBoardAsync()
    {
        await Task.Yield();
        await _board.ServeAsync(Stream, canDrop: true, $"{_peer} HiSLIP session {Id}", _stop.Token).ConfigureAwait(false);
        if (!_stop.IsCancellationRequested)
        {
            _logger.Information("HiSLIP fault: dropping session {SessionId} of {Peer}", Id, _peer);
            await _stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task ReceiveDataAsync(HiSlipHeader header, CancellationToken token)
    {
        if (header.PayloadLength > (ulong)_board.Options.MaxMessageBytes)
        {
            await _sync.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
            await _sync.SendErrorAsync(4, $"a {header.PayloadLength}-byte message exceeds the {_board.Options.MaxMessageBytes}-byte maximum", token).ConfigureAwait(false);
            return;
        }

        var payload = await _sync.ReadPayloadAsync(header.PayloadLength, token).ConfigureAwait(false);
        if (header.Type == HiSlipMessageType.Trigger)
        {
            return; // the board has no trigger model (IEEE 488.2 *TRG); the MessageID is simply consumed.
        }

        // END closes a program message (IEEE 488.2 section 7.5): the board's line reader needs the LF a client may leave out.
        ReadOnlyMemory<byte> message = header.Type == HiSlipMessageType.DataEnd && (payload.Length == 0 || payload[^1] != (byte)'\n') ? [.. payload, (byte)'\n'] : payload;
        await Stream.EnqueueAsync(message, header.Parameter, token).ConfigureAwait(false);
    }

    /// <summary>AsyncLock (IVI-6.1 "Lock Transaction"): exclusive locks only; a shared-lock name is treated as the exclusive lock.</summary>
    private async Task LockAsync(HiSlipConnection channel, HiSlipHeader header, CancellationToken token)
    {
        await channel.SkipAsync(header.PayloadLength, token).ConfigureAwait(false);
        byte response;
        switch (header.ControlCode)
        {
            case HiSlipWire.LockRequest:
                var wait = TimeSpan.FromMilliseconds(Math.Min(header.Parameter, int.MaxValue));
                response = await _deviceLock.AcquireAsync(Id, wait, token).ConfigureAwait(false) ? HiSlipWire.LockSuccess : HiSlipWire.LockFailure;
                break;
            case HiSlipWire.LockRelease:
                response = _deviceLock.Release(Id) ? HiSlipWire.LockSuccess : HiSlipWire.LockError;
                break;
            default:
                await channel.SendErrorAsync(2, $"AsyncLock control code {header.ControlCode} is neither release (0) nor request (1)", token).ConfigureAwait(false);
                return;
        }

        await channel.SendAsync(HiSlipMessageType.AsyncLockResponse, response, 0, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
    }
}

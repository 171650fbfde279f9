using CimHil.Core.OncRpc;
using Serilog;

namespace CimHil.Emulator.Wire.Vxi11;

/// <summary>
/// One TCP connection of the VXI-11 core channel (section B.5, program 0x0607AF version 1) and the links created on
/// it. A board drop fault on any of its links closes the connection without replying, as a real link loss would.
/// </summary>
internal sealed class Vxi11CoreChannel(BoardServer board, Vxi11DeviceLock deviceLock, Func<int> nextLinkId, ILogger logger, string peer)
{
    /// <summary>maxRecvSize announced by create_link: device_write chunks are at most this long (the spec asks at least 1024).</summary>
    public const int MaxRecvBytes = 64 * 1024;

    private const uint ReadStatusByte = 13;
    private const uint LastCoreProcedure = 26;

    private readonly Dictionary<int, Vxi11Link> _links = [];

    public async Task ServeAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var dropped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await RpcServerLoop.ServeAsync(stream, MaxRecvBytes + 1024, (call, args, _) => DispatchAsync(call, args, dropped), dropped.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (dropped.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            logger.Information("VXI-11 fault: dropping the connection from {Peer}", peer);
        }
        finally
        {
            foreach (var link in _links.Values)
            {
                deviceLock.Release(link.Id);
                await link.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static XdrWriter Reply(RpcCall call, int error) => RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.Success).Int(error);

    private static TimeSpan Milliseconds(uint ms) => TimeSpan.FromMilliseconds(Math.Min(ms, int.MaxValue));

    private static async Task WatchForDropAsync(Vxi11Link link, CancellationTokenSource dropped)
    {
        await link.Serving.ConfigureAwait(false);
        if (!link.Destroyed)
        {
            await dropped.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task<XdrWriter?> DispatchAsync(RpcCall call, XdrReader args, CancellationTokenSource dropped)
    {
        if (RpcServerLoop.Unavailable(call, Vxi11Wire.DeviceCoreProgram, Vxi11Wire.DeviceCoreVersion) is { } refused)
        {
            return refused;
        }

        if (call.Procedure == Vxi11Wire.CreateLink)
        {
            return await CreateLinkAsync(call, args, dropped).ConfigureAwait(false);
        }

        if (call.Procedure is < Vxi11Wire.DeviceWrite or > LastCoreProcedure)
        {
            return RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.ProcedureUnavailable);
        }

        if (!_links.TryGetValue(args.Int(), out var link))
        {
            return Reply(call, Vxi11Wire.ErrorInvalidLinkId).UInt(0).UInt(0);
        }

        return call.Procedure switch
        {
            Vxi11Wire.DeviceWrite => await WriteAsync(call, args, link, dropped.Token).ConfigureAwait(false),
            Vxi11Wire.DeviceRead => await ReadAsync(call, args, link, dropped.Token).ConfigureAwait(false),
            Vxi11Wire.DeviceClear => Clear(call, link),
            Vxi11Wire.DeviceLock => await LockAsync(call, args, link, dropped.Token).ConfigureAwait(false),
            Vxi11Wire.DeviceUnlock => Reply(call, deviceLock.Release(link.Id) ? Vxi11Wire.ErrorNone : Vxi11Wire.ErrorNoLockHeld),
            Vxi11Wire.DestroyLink => await DestroyAsync(call, link).ConfigureAwait(false),

            // Status byte, trigger, remote/local, SRQ, docmd and interrupt channels are not emulated.
            ReadStatusByte => Reply(call, Vxi11Wire.ErrorOperationNotSupported).UInt(0),
            _ => Reply(call, Vxi11Wire.ErrorOperationNotSupported),
        };
    }

    /// <summary>create_link (section B.6.1): args clientId, lockDevice, lock_timeout, device; reply error, lid, abortPort, maxRecvSize.</summary>
    private async Task<XdrWriter> CreateLinkAsync(RpcCall call, XdrReader args, CancellationTokenSource dropped)
    {
        args.Int();
        var lockDevice = args.Bool();
        var lockWait = Milliseconds(args.UInt());
        var device = args.String(256);
        if (!string.Equals(device, "inst0", StringComparison.OrdinalIgnoreCase))
        {
            return Reply(call, Vxi11Wire.ErrorInvalidAddress).Int(0).UInt(0).UInt(0);
        }

        var id = nextLinkId();
        if (lockDevice && !await deviceLock.AcquireAsync(id, lockWait, dropped.Token).ConfigureAwait(false))
        {
            return Reply(call, Vxi11Wire.ErrorDeviceLocked).Int(0).UInt(0).UInt(0);
        }

        var link = new Vxi11Link(id, board, peer, dropped.Token);
        _links[id] = link;
        _ = WatchForDropAsync(link, dropped);
        logger.Debug("VXI-11 link {LinkId} created for {Peer} ({Device})", id, peer, device);

        // No abort channel is served: abortPort 0.
        return Reply(call, Vxi11Wire.ErrorNone).Int(id).UInt(0).UInt(MaxRecvBytes);
    }

    /// <summary>device_write (section B.6.3): args io_timeout, lock_timeout, flags, data; reply error, size.</summary>
    private async Task<XdrWriter> WriteAsync(RpcCall call, XdrReader args, Vxi11Link link, CancellationToken dropped)
    {
        var ioWait = Milliseconds(args.UInt());
        args.UInt();
        var flags = args.Int();
        var data = args.Opaque(MaxRecvBytes);
        if (!deviceLock.Permits(link.Id))
        {
            return Reply(call, Vxi11Wire.ErrorDeviceLocked).UInt(0);
        }

        // END closes a program message (IEEE 488.2 section 7.5): the board's line reader needs the LF a client may leave out.
        var message = (flags & Vxi11Wire.FlagEnd) != 0 && (data.IsEmpty || data.Span[^1] != (byte)'\n') ? (ReadOnlyMemory<byte>)(byte[])[.. data.Span, (byte)'\n'] : data;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(dropped);
        wait.CancelAfter(ioWait);
        return await link.Stream.EnqueueAsync(message, wait.Token).ConfigureAwait(false)
            ? Reply(call, Vxi11Wire.ErrorNone).UInt((uint)data.Length)
            : Reply(call, Vxi11Wire.ErrorIoTimeout).UInt(0);
    }

    /// <summary>device_read (section B.6.4): args requestSize, io_timeout, lock_timeout, flags, termChar; reply error, reason, data. Null: dropped.</summary>
    private async Task<XdrWriter?> ReadAsync(RpcCall call, XdrReader args, Vxi11Link link, CancellationToken dropped)
    {
        var requestBytes = (int)Math.Clamp(args.UInt(), 1u, int.MaxValue);
        var ioWait = Milliseconds(args.UInt());
        args.UInt();
        var flags = args.Int();
        var termChar = (byte)args.Int();
        if (!deviceLock.Permits(link.Id))
        {
            return Reply(call, Vxi11Wire.ErrorDeviceLocked).Int(0).Opaque([]);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(dropped);
        wait.CancelAfter(ioWait);
        var (data, reason) = await link.ReadAsync(requestBytes, (flags & Vxi11Wire.FlagTermCharSet) != 0 ? termChar : null, wait.Token).ConfigureAwait(false);
        if (dropped.IsCancellationRequested)
        {
            return null;
        }

        return data is null
            ? Reply(call, Vxi11Wire.ErrorIoTimeout).Int(0).Opaque([])
            : Reply(call, Vxi11Wire.ErrorNone).Int(reason).Opaque(data);
    }

    /// <summary>device_clear (section B.6.10): pending input and unread output are discarded.</summary>
    private XdrWriter Clear(RpcCall call, Vxi11Link link)
    {
        link.Clear();
        return Reply(call, Vxi11Wire.ErrorNone);
    }

    /// <summary>device_lock (section B.6.7): args flags, lock_timeout; waits only when the waitlock flag is set.</summary>
    private async Task<XdrWriter> LockAsync(RpcCall call, XdrReader args, Vxi11Link link, CancellationToken dropped)
    {
        var flags = args.Int();
        var lockWait = (flags & Vxi11Wire.FlagWaitLock) != 0 ? Milliseconds(args.UInt()) : TimeSpan.Zero;
        return Reply(call, await deviceLock.AcquireAsync(link.Id, lockWait, dropped).ConfigureAwait(false) ? Vxi11Wire.ErrorNone : Vxi11Wire.ErrorDeviceLocked);
    }

    private async Task<XdrWriter> DestroyAsync(RpcCall call, Vxi11Link link)
    {
        _links.Remove(link.Id);
        deviceLock.Release(link.Id);
        await link.DisposeAsync().ConfigureAwait(false);
        logger.Debug("VXI-11 link {LinkId} destroyed by {Peer}", link.Id, peer);
        return Reply(call, Vxi11Wire.ErrorNone);
    }
}

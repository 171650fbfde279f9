using System.Net.Sockets;
using CimHil.Core.OncRpc;
using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Transports.Vxi11;

/// <summary>
/// VXI-11 (VISA <c>TCPIP::host[::inst0]::INSTR</c>) without a VISA library: the portmapper gives the core channel's
/// port (RFC 1833 GETPORT), create_link opens the device, and device_write/device_read carry the messages
/// (VXI-11 rev 1.0, section B.6). A lost connection or an RPC that times out marks the link dropped, like a socket.
/// </summary>
public sealed class Vxi11Transport : BufferedTransport
{
    /// <summary>Largest RPC reply accepted: a device_read never asks for more than the read buffer, so this is generous.</summary>
    private const int MaxReplyBytes = 64 * 1024 * 1024;

    private readonly TcpInstrResource _resource;
    private readonly TimeSpan _connectTimeout;
    private readonly int _portmapperPort;
    private OncRpcConnection? _core;
    private int _linkId;
    private int _maxRecvBytes;
    private volatile bool _open;

    /// <summary>A transport for <paramref name="resource"/>; <paramref name="portmapperPort"/> is 111 except in tests (RFC 1833).</summary>
    public Vxi11Transport(TcpInstrResource resource, TimeSpan timeout, TimeSpan connectTimeout, int portmapperPort = Vxi11Wire.PortmapperPort)
        : base(resource.Canonical, timeout)
    {
        _resource = resource;
        _connectTimeout = connectTimeout;
        _portmapperPort = portmapperPort;
    }

    public override bool IsOpen => _open;

    /// <summary>Takes the device's exclusive lock (device_lock), waiting up to <paramref name="wait"/> for another link to release it.</summary>
    public async Task LockAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var reader = await CallAsync(Vxi11Wire.DeviceLock, "device_lock", w => w.Int(_linkId).Int(Vxi11Wire.FlagWaitLock).UInt(Milliseconds(wait)), Timeout + wait, cancellationToken).ConfigureAwait(false);
        ThrowIfError(reader.Int(), "device_lock");
    }

    /// <summary>Releases the lock taken by <see cref="LockAsync"/> (device_unlock).</summary>
    public async Task UnlockAsync(CancellationToken cancellationToken)
    {
        var reader = await CallAsync(Vxi11Wire.DeviceUnlock, "device_unlock", w => w.Int(_linkId), Timeout, cancellationToken).ConfigureAwait(false);
        ThrowIfError(reader.Int(), "device_unlock");
    }

    protected override async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_connectTimeout);
        var step = $"asking the portmapper at {_resource.Host}:{_portmapperPort} for the VXI-11 core channel";
        try
        {
            var port = await Portmapper.GetPortAsync(_resource.Host, _portmapperPort, Vxi11Wire.DeviceCoreProgram, Vxi11Wire.DeviceCoreVersion, cts.Token).ConfigureAwait(false);
            if (port == 0)
            {
                throw new InstrumentIOException(Resource, $"{Resource}: the portmapper at {_resource.Host}:{_portmapperPort} has no VXI-11 core channel registered");
            }

            step = $"connecting to the VXI-11 core channel at {_resource.Host}:{port}";
            _core = await OncRpcConnection.ConnectAsync(_resource.Host, port, MaxReplyBytes, cts.Token).ConfigureAwait(false);
            step = $"create_link to {_resource.Device}";

            // create_link (section B.6.1): client id, no lock, lock timeout 0, device name.
            var reader = await _core.CallAsync(
                Vxi11Wire.DeviceCoreProgram, Vxi11Wire.DeviceCoreVersion, Vxi11Wire.CreateLink,
                w => w.Int(Environment.ProcessId).Bool(false).UInt(0).String(_resource.Device), cts.Token).ConfigureAwait(false);
            var error = reader.Int();
            _linkId = reader.Int();
            reader.UInt(); // abort port: the abort channel is not used.
            _maxRecvBytes = (int)Math.Clamp(reader.UInt(), 1u, int.MaxValue);
            if (error != Vxi11Wire.ErrorNone)
            {
                await CloseCoreAsync().ConfigureAwait(false);
                throw new InstrumentIOException(Resource, $"{Resource}: create_link to '{_resource.Device}' failed: {Vxi11Wire.Describe(error)} (VXI-11 error {error})");
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseCoreAsync().ConfigureAwait(false);
            throw new InstrumentTimeoutException(Resource, step, _connectTimeout, ex);
        }
        catch (Exception ex) when (IsLinkFailure(ex))
        {
            await CloseCoreAsync().ConfigureAwait(false);
            throw new InstrumentIOException(Resource, $"{Resource}: {step} failed: {ex.Message}", ex);
        }

        _open = true;
    }

    protected override async ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            // device_read (section B.6.4): no termChar (END ends a message), wait up to the transport timeout.
            var reader = await CallAsync(
                Vxi11Wire.DeviceRead, "device_read",
                w => w.Int(_linkId).UInt((uint)destination.Length).UInt(Milliseconds(Timeout)).UInt(0).Int(0).Int(0),
                TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            var error = reader.Int();
            reader.Int(); // reason: the terminator is found in the data by the base class, END needs no special handling.
            var data = reader.Opaque(destination.Length);
            if (data.Length > 0)
            {
                data.CopyTo(destination);
                return data.Length;
            }

            if (error == Vxi11Wire.ErrorIoTimeout)
            {
                throw new InstrumentTimeoutException(Resource, "device_read", Timeout);
            }

            ThrowIfError(error, "device_read");
        }
    }

    protected override async ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // device_write (section B.6.3) takes at most maxRecvSize bytes per call; END goes with the last chunk only.
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(data.Length, _maxRecvBytes)];
            var last = chunk.Length == data.Length;
            var reader = await CallAsync(
                Vxi11Wire.DeviceWrite, "device_write",
                w => w.Int(_linkId).UInt(Milliseconds(Timeout)).UInt(0).Int(last ? Vxi11Wire.FlagEnd : 0).Opaque(chunk.Span),
                TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            var error = reader.Int();
            var accepted = (int)Math.Min(reader.UInt(), (uint)chunk.Length);
            if (error == Vxi11Wire.ErrorIoTimeout)
            {
                throw new InstrumentTimeoutException(Resource, $"device_write of {data.Length} bytes", Timeout);
            }

            ThrowIfError(error, "device_write");
            data = data[accepted..];
        }
    }

    protected override async Task DiscardInputCoreAsync(CancellationToken cancellationToken)
    {
        // device_clear (section B.6.10) is the LAN form of IEEE 488.2 section 5.8's device clear: the instrument drops its output.
        var reader = await CallAsync(Vxi11Wire.DeviceClear, "device_clear", w => w.Int(_linkId).Int(0).UInt(0).UInt(Milliseconds(Timeout)), Timeout, cancellationToken).ConfigureAwait(false);
        ThrowIfError(reader.Int(), "device_clear");
    }

    protected override async Task CloseCoreAsync()
    {
        var core = _core;
        _core = null;
        if (core is null)
        {
            _open = false;
            return;
        }

        if (_open)
        {
            _open = false;
            try
            {
                // destroy_link (section B.6.2) frees the instrument's side at once; a dead link is simply closed.
                using var cts = new CancellationTokenSource(_connectTimeout);
                await core.CallAsync(Vxi11Wire.DeviceCoreProgram, Vxi11Wire.DeviceCoreVersion, Vxi11Wire.DestroyLink, w => w.Int(_linkId), cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsLinkFailure(ex) || ex is OperationCanceledException)
            {
            }
        }

        await core.DisposeAsync().ConfigureAwait(false);
    }

    protected override void MarkDropped() => _open = false;

    private static uint Milliseconds(TimeSpan span) =>
        span == System.Threading.Timeout.InfiniteTimeSpan ? uint.MaxValue : (uint)Math.Clamp(span.TotalMilliseconds, 0, uint.MaxValue - 1);

    private static bool IsLinkFailure(Exception ex) => ex is SocketException or IOException or RpcException or XdrFormatException or ObjectDisposedException;

    /// <summary>
    /// One core-channel call. A failed or abandoned call leaves the RPC stream out of step, so the link is marked dropped
    /// and the session re-opens it: the same outcome as a broken socket, which keeps a lost pulse uncertain.
    /// </summary>
    private async Task<XdrReader> CallAsync(uint procedure, string name, Action<XdrWriter> arguments, TimeSpan ownDeadline, CancellationToken cancellationToken)
    {
        var core = _core ?? throw new InstrumentIOException(Resource, $"{Resource}: the link is not open");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (ownDeadline > TimeSpan.Zero)
        {
            cts.CancelAfter(ownDeadline);
        }

        try
        {
            return await core.CallAsync(Vxi11Wire.DeviceCoreProgram, Vxi11Wire.DeviceCoreVersion, procedure, arguments, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            MarkDropped();
            if (cancellationToken.IsCancellationRequested || ownDeadline <= TimeSpan.Zero)
            {
                throw;
            }

            throw new InstrumentTimeoutException(Resource, name, ownDeadline, ex);
        }
        catch (Exception ex) when (IsLinkFailure(ex))
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: {name} failed: {ex.Message}", ex);
        }
    }

    private void ThrowIfError(int error, string operation)
    {
        if (error == Vxi11Wire.ErrorNone)
        {
            return;
        }

        if (error == Vxi11Wire.ErrorIoTimeout)
        {
            throw new InstrumentTimeoutException(Resource, operation, Timeout);
        }

        if (error == Vxi11Wire.ErrorInvalidLinkId)
        {
            // The instrument no longer knows the link (it restarted): re-open like after a drop.
            MarkDropped();
        }

        throw new InstrumentIOException(Resource, $"{Resource}: {operation} failed: {Vxi11Wire.Describe(error)} (VXI-11 error {error})");
    }
}

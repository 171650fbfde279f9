using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using CimHil.Core.HiSlip;
using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Transports.HiSlip;

/// <summary>
/// HiSLIP (VISA <c>TCPIP::host::hislip0[,port]::INSTR</c>, IVI-6.1 HiSLIP 2.0) without a VISA library. Two TCP
/// connections to one port: the synchronous channel carries Data/DataEnd messages numbered by MessageID, the
/// asynchronous channel carries device clear, lock and size negotiation. A lost connection, a fatal error or a read
/// that times out mid-message marks the link dropped, so the session re-opens it (as for a socket), which keeps a
/// lost pulse uncertain rather than repeated.
/// </summary>
public sealed partial class HiSlipTransport : BufferedTransport
{
    /// <summary>Largest message the client accepts, announced by AsyncMaximumMessageSize (IVI-6.1 "Maximum Message Size Transaction").</summary>
    public const ulong MaxReceiveMessageBytes = 64 * 1024 * 1024;

    /// <summary>Largest Data payload sent: longer writes go as Data messages then a DataEnd, so no huge send buffer is needed.</summary>
    private const int MaxSendChunkBytes = 1024 * 1024;

    /// <summary>Two ASCII letters naming the client vendor in Initialize (IVI-6.1 "Initialization Transaction"); not a registered VPP-9 code.</summary>
    private const ushort ClientVendorId = ('C' << 8) | 'H';

    private const int MaxControlPayloadBytes = 4096;

    private readonly TcpInstrResource _resource;
    private readonly TimeSpan _connectTimeout;
    private readonly string _subAddress;
    private readonly int _port;
    private HiSlipChannel? _sync;
    private HiSlipChannel? _async;
    private uint _messageId;
    private uint _lastSentMessageId;
    private bool _rmtDelivered;
    private ulong _payloadLeft;
    private bool _payloadEndsMessage;
    private int _maxSendChunk;
    private volatile bool _open;

    /// <summary>A transport for <paramref name="resource"/> (device <c>hislipN</c>, optionally <c>hislipN,port</c>).</summary>
    public HiSlipTransport(TcpInstrResource resource, TimeSpan timeout, TimeSpan connectTimeout)
        : base(resource.Canonical, timeout)
    {
        _resource = resource;
        _connectTimeout = connectTimeout;
        (_subAddress, _port) = ParseDevice(resource);
    }

    public override bool IsOpen => _open;

    /// <summary>The session ID the server assigned in InitializeResponse.</summary>
    public ushort SessionId { get; private set; }

    /// <summary>The protocol version the server answered (major in the high byte), e.g. 0x0200.</summary>
    public ushort ServerVersion { get; private set; }

    /// <summary>The largest message the server accepts (AsyncMaximumMessageSizeResponse).</summary>
    public ulong ServerMaxMessageBytes { get; private set; }

    /// <summary>The MessageID the next Data/DataEnd will carry.</summary>
    public uint NextMessageId => _messageId;

    /// <summary>
    /// Splits the VISA device field <c>hislipN[,port]</c> (VPP-4.3 section 4.3.1.1 allows the port after a comma) into
    /// the sub-address sent in Initialize and the TCP port (4880 when omitted, IVI-6.1 "HiSLIP Port").
    /// </summary>
    public static (string SubAddress, int Port) ParseDevice(TcpInstrResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var comma = resource.Device.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            return (resource.Device, HiSlipWire.DefaultPort);
        }

        var portText = resource.Device[(comma + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ResourceFormatException(resource.Original, $"HiSLIP port '{portText}' in '{resource.Device}' is not a TCP port (1..65535)");
        }

        return (resource.Device[..comma], port);
    }

    protected override async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_connectTimeout);
        var step = $"connecting the synchronous channel to {_resource.Host}:{_port}";
        try
        {
            _sync = await HiSlipChannel.ConnectAsync(_resource.Host, _port, cts.Token).ConfigureAwait(false);

            // Initialize (IVI-6.1 "Initialization Transaction"): our highest version and vendor; the sub-address as payload.
            step = $"Initialize ({_subAddress})";
            await _sync.SendAsync(HiSlipMessageType.Initialize, 0, ((uint)HiSlipWire.Version20 << 16) | ClientVendorId, Encoding.ASCII.GetBytes(_subAddress), cts.Token).ConfigureAwait(false);
            var init = await ExpectAsync(_sync, HiSlipMessageType.InitializeResponse, step, cts.Token).ConfigureAwait(false);
            if ((init.ControlCode & HiSlipWire.EncryptionMandatory) != 0)
            {
                throw new InstrumentIOException(Resource, $"{Resource}: the HiSLIP server requires an encrypted connection (HiSLIP 2.0 TLS), which CimHil's built-in client does not implement; use a VISA library (visa: Auto or Always)");
            }

            ServerVersion = (ushort)(init.Parameter >> 16);
            SessionId = (ushort)init.Parameter;

            step = $"connecting the asynchronous channel to {_resource.Host}:{_port}";
            _async = await HiSlipChannel.ConnectAsync(_resource.Host, _port, cts.Token).ConfigureAwait(false);
            step = $"AsyncInitialize (session {SessionId})";
            await _async.SendAsync(HiSlipMessageType.AsyncInitialize, 0, SessionId, ReadOnlyMemory<byte>.Empty, cts.Token).ConfigureAwait(false);
            await ExpectAsync(_async, HiSlipMessageType.AsyncInitializeResponse, step, cts.Token).ConfigureAwait(false);

            // AsyncMaximumMessageSize (IVI-6.1 "Maximum Message Size Transaction"): 8-byte sizes, big-endian, both ways.
            step = "AsyncMaximumMessageSize";
            var size = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(size, MaxReceiveMessageBytes);
            await _async.SendAsync(HiSlipMessageType.AsyncMaximumMessageSize, 0, 0, size, cts.Token).ConfigureAwait(false);
            var sizeReply = await ExpectAsync(_async, HiSlipMessageType.AsyncMaximumMessageSizeResponse, step, cts.Token).ConfigureAwait(false);
            if (sizeReply.Payload.Length != 8)
            {
                throw new InstrumentProtocolException(Resource, $"{Resource}: AsyncMaximumMessageSizeResponse carries {sizeReply.Payload.Length} bytes, expected 8");
            }

            ServerMaxMessageBytes = BinaryPrimitives.ReadUInt64BigEndian(sizeReply.Payload);
            _maxSendChunk = (int)Math.Clamp(ServerMaxMessageBytes, 1UL, MaxSendChunkBytes);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            DisposeChannels();
            throw new InstrumentTimeoutException(Resource, step, _connectTimeout, ex);
        }
        catch (Exception ex) when (IsLinkFailure(ex))
        {
            DisposeChannels();
            throw new InstrumentIOException(Resource, $"{Resource}: {step} failed: {ex.Message}", ex);
        }
        catch
        {
            DisposeChannels();
            throw;
        }

        ResetMessageState();
        _open = true;
    }

    protected override async ValueTask<int> ReadSomeCoreAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var sync = _sync ?? throw new InstrumentIOException(Resource, $"{Resource}: the link is not open");
        try
        {
            while (true)
            {
                if (_payloadLeft > 0)
                {
                    var n = await sync.ReceiveAsync(destination[..(int)Math.Min((ulong)destination.Length, _payloadLeft)], cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return 0;
                    }

                    _payloadLeft -= (ulong)n;
                    _rmtDelivered |= _payloadLeft == 0 && _payloadEndsMessage;
                    return n;
                }

                if (await sync.ReceiveHeaderAsync(cancellationToken).ConfigureAwait(false) is not { } header)
                {
                    return 0;
                }

                switch (header.Type)
                {
                    case HiSlipMessageType.Data or HiSlipMessageType.DataEnd:
                        // Replies are taken in order; the MessageID they echo is not checked because the session re-opens the
                        // link after any failed exchange, so no reply to an abandoned query can be waiting here.
                        _payloadLeft = header.PayloadLength;
                        _payloadEndsMessage = header.Type == HiSlipMessageType.DataEnd;
                        _rmtDelivered |= _payloadLeft == 0 && _payloadEndsMessage;
                        break;
                    case HiSlipMessageType.Interrupted:
                        // Synchronized mode (IVI-6.1 "Interrupted"): the server dropped a response; nothing of it follows.
                        await sync.SkipAsync(header.PayloadLength, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        throw await UnexpectedAsync(sync, header, "reading a reply", cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // A timeout may have cut a message in two: the framing is lost, so the link must be re-opened.
            MarkDropped();
            throw;
        }
        catch (Exception ex) when (IsLinkFailure(ex))
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: receive failed: {ex.Message}", ex);
        }
    }

    protected override async ValueTask WriteCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var sync = _sync ?? throw new InstrumentIOException(Resource, $"{Resource}: the link is not open");
        try
        {
            // One ITransport write is one program message: Data messages, then DataEnd for END (IVI-6.1 "Data Transfer").
            do
            {
                var chunk = data[..Math.Min(data.Length, _maxSendChunk)];
                var type = chunk.Length == data.Length ? HiSlipMessageType.DataEnd : HiSlipMessageType.Data;
                var control = _rmtDelivered ? HiSlipWire.RmtDelivered : (byte)0;
                await sync.SendAsync(type, control, _messageId, chunk, cancellationToken).ConfigureAwait(false);
                _rmtDelivered = false;
                _lastSentMessageId = _messageId;
                _messageId += HiSlipWire.MessageIdStep;
                data = data[chunk.Length..];
            }
            while (!data.IsEmpty);
        }
        catch (OperationCanceledException)
        {
            MarkDropped();
            throw;
        }
        catch (Exception ex) when (IsLinkFailure(ex))
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: send failed: {ex.Message}", ex);
        }
    }

    protected override Task CloseCoreAsync()
    {
        // HiSLIP has no closing message: closing both connections ends the session (IVI-6.1 "Connection Closure").
        _open = false;
        DisposeChannels();
        return Task.CompletedTask;
    }

    protected override void MarkDropped() => _open = false;

    private static uint Milliseconds(TimeSpan span) =>
        span == System.Threading.Timeout.InfiniteTimeSpan ? uint.MaxValue : (uint)Math.Clamp(span.TotalMilliseconds, 0, uint.MaxValue - 1);

    private static bool IsLinkFailure(Exception ex) => ex is SocketException or IOException or ObjectDisposedException;

    private void ResetMessageState()
    {
        _messageId = HiSlipWire.InitialMessageId;
        _lastSentMessageId = HiSlipWire.InitialMessageId - HiSlipWire.MessageIdStep;
        _rmtDelivered = false;
        _payloadLeft = 0;
        _payloadEndsMessage = false;
    }

    private void DisposeChannels()
    {
        _sync?.Dispose();
        _async?.Dispose();
        _sync = null;
        _async = null;
    }

    private static string Detail(string text) => text.Length == 0 ? string.Empty : $": {text}";
}

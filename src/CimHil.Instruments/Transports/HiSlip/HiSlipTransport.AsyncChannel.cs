using CimHil.Core.HiSlip;

namespace CimHil.Instruments.Transports.HiSlip;

/// <summary>The asynchronous channel's transactions (IVI-6.1): lock, device clear, and the exchange of control messages.</summary>
public sealed partial class HiSlipTransport
{
    /// <summary>
    /// Takes the exclusive lock (AsyncLock request with an empty lock string, IVI-6.1 "Lock Transaction"), waiting up to
    /// <paramref name="wait"/> for another client to release it; not granted in time is an <see cref="InstrumentTimeoutException"/>.
    /// </summary>
    public async Task LockAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var response = await AsyncTransactionAsync(
            HiSlipMessageType.AsyncLock, HiSlipWire.LockRequest, Milliseconds(wait), HiSlipMessageType.AsyncLockResponse, "AsyncLock request", Timeout + wait, cancellationToken).ConfigureAwait(false);
        switch (response.ControlCode)
        {
            case HiSlipWire.LockSuccess:
                return;
            case HiSlipWire.LockFailure:
                throw new InstrumentTimeoutException(Resource, "waiting for the exclusive lock (another client holds it)", wait);
            default:
                throw new InstrumentIOException(Resource, $"{Resource}: the lock request was refused (AsyncLockResponse control code {response.ControlCode})");
        }
    }

    /// <summary>Releases the lock (AsyncLock release carrying the last MessageID sent); not holding one is an error.</summary>
    public async Task UnlockAsync(CancellationToken cancellationToken)
    {
        var response = await AsyncTransactionAsync(
            HiSlipMessageType.AsyncLock, HiSlipWire.LockRelease, _lastSentMessageId, HiSlipMessageType.AsyncLockResponse, "AsyncLock release", Timeout, cancellationToken).ConfigureAwait(false);
        if (response.ControlCode is not (HiSlipWire.LockSuccess or HiSlipWire.LockSharedReleased))
        {
            throw new InstrumentIOException(Resource, $"{Resource}: the lock release was refused: this client holds no lock (AsyncLockResponse control code {response.ControlCode})");
        }
    }

    /// <summary>
    /// Device clear (IVI-6.1 "Device Clear Transaction", the LAN form of IEEE 488.2 section 5.8): AsyncDeviceClear and
    /// its acknowledgement on the asynchronous channel, then DeviceClearComplete on the synchronous channel, discarding
    /// every Data/DataEnd that arrives before DeviceClearAcknowledge. MessageIDs start again at 0xffffff00.
    /// </summary>
    protected override async Task DiscardInputCoreAsync(CancellationToken cancellationToken)
    {
        var sync = _sync ?? throw new InstrumentIOException(Resource, $"{Resource}: the link is not open");
        var ack = await AsyncTransactionAsync(
            HiSlipMessageType.AsyncDeviceClear, 0, 0, HiSlipMessageType.AsyncDeviceClearAcknowledge, "AsyncDeviceClear", Timeout, cancellationToken).ConfigureAwait(false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            // The feature request echoes the server's preference (overlap bit), which this client supports either way.
            await sync.SendAsync(HiSlipMessageType.DeviceClearComplete, (byte)(ack.ControlCode & HiSlipWire.OverlapMode), 0, ReadOnlyMemory<byte>.Empty, cts.Token).ConfigureAwait(false);
            await sync.SkipAsync(_payloadLeft, cts.Token).ConfigureAwait(false);
            _payloadLeft = 0;
            while (true)
            {
                var header = await sync.ReceiveHeaderAsync(cts.Token).ConfigureAwait(false)
                    ?? throw new EndOfStreamException("the server closed the connection during device clear");
                if (header.Type == HiSlipMessageType.DeviceClearAcknowledge)
                {
                    await sync.SkipAsync(header.PayloadLength, cts.Token).ConfigureAwait(false);
                    break;
                }

                if (header.Type is not (HiSlipMessageType.Data or HiSlipMessageType.DataEnd or HiSlipMessageType.Interrupted))
                {
                    throw await UnexpectedAsync(sync, header, "device clear", cts.Token).ConfigureAwait(false);
                }

                await sync.SkipAsync(header.PayloadLength, cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            MarkDropped();
            throw new InstrumentTimeoutException(Resource, "device clear (waiting for DeviceClearAcknowledge)", Timeout, ex);
        }
        catch (Exception ex) when (IsLinkFailure(ex))
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: device clear failed: {ex.Message}", ex);
        }

        ResetMessageState();
    }

    /// <summary>One request on the asynchronous channel and its response, bounded by <paramref name="deadline"/>.</summary>
    private async Task<(byte ControlCode, uint Parameter, byte[] Payload)> AsyncTransactionAsync(
        HiSlipMessageType request, byte controlCode, uint parameter, HiSlipMessageType expected, string name, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var channel = _async ?? throw new InstrumentIOException(Resource, $"{Resource}: the link is not open");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (deadline > TimeSpan.Zero && deadline != System.Threading.Timeout.InfiniteTimeSpan)
        {
            cts.CancelAfter(deadline);
        }

        try
        {
            await channel.SendAsync(request, controlCode, parameter, ReadOnlyMemory<byte>.Empty, cts.Token).ConfigureAwait(false);
            return await ExpectAsync(channel, expected, name, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            MarkDropped();
            throw new InstrumentTimeoutException(Resource, name, deadline, ex);
        }
        catch (Exception ex) when (IsLinkFailure(ex))
        {
            MarkDropped();
            throw new InstrumentIOException(Resource, $"{Resource}: {name} failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The next message on <paramref name="channel"/>, which must be <paramref name="expected"/>; AsyncServiceRequest
    /// (unsolicited, IVI-6.1 "Service Request") is skipped, Error and FatalError become exceptions naming the step.
    /// </summary>
    private async Task<(byte ControlCode, uint Parameter, byte[] Payload)> ExpectAsync(HiSlipChannel channel, HiSlipMessageType expected, string step, CancellationToken cancellationToken)
    {
        while (true)
        {
            var header = await channel.ReceiveHeaderAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new EndOfStreamException($"the server closed the connection (waiting for {expected})");
            if (header.Type == expected)
            {
                return (header.ControlCode, header.Parameter, await channel.ReceivePayloadAsync(header.PayloadLength, MaxControlPayloadBytes, cancellationToken).ConfigureAwait(false));
            }

            if (header.Type == HiSlipMessageType.AsyncServiceRequest)
            {
                await channel.SkipAsync(header.PayloadLength, cancellationToken).ConfigureAwait(false);
                continue;
            }

            throw await UnexpectedAsync(channel, header, step, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The exception for an Error, FatalError or out-of-place message; fatal ones (and strays, which break the exchange) drop the link.</summary>
    private async Task<InstrumentIOException> UnexpectedAsync(HiSlipChannel channel, HiSlipHeader header, string step, CancellationToken cancellationToken)
    {
        switch (header.Type)
        {
            case HiSlipMessageType.FatalError:
                {
                    MarkDropped();
                    var text = await channel.ReceiveTextAsync(header.PayloadLength, cancellationToken).ConfigureAwait(false);
                    return new InstrumentIOException(Resource, $"{Resource}: {step}: the HiSLIP server reported a fatal error: {HiSlipWire.DescribeFatalError(header.ControlCode)} (code {header.ControlCode}){Detail(text)}");
                }

            case HiSlipMessageType.Error:
                {
                    var text = await channel.ReceiveTextAsync(header.PayloadLength, cancellationToken).ConfigureAwait(false);
                    return new InstrumentProtocolException(Resource, $"{Resource}: {step}: the HiSLIP server reported an error: {HiSlipWire.DescribeError(header.ControlCode)} (code {header.ControlCode}){Detail(text)}");
                }

            default:
                MarkDropped();
                return new InstrumentProtocolException(Resource, $"{Resource}: {step}: unexpected HiSLIP message {header.Type} (type {(byte)header.Type}, control code {header.ControlCode}, {header.PayloadLength}-byte payload)");
        }
    }
}

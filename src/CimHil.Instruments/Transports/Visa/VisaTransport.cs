using CimHil.Instruments.Resources;
using CimHil.Instruments.Transports.Serial;

namespace CimHil.Instruments.Transports.Visa;

/// <summary>
/// Any resource the installed VISA library can open (GPIB, USBTMC, VXI-11, HiSLIP, sockets, Windows serial).
/// VISA calls block, so each runs on the thread pool; VISA's own timeout (VI_ATTR_TMO_VALUE) bounds it.
/// </summary>
public sealed class VisaTransport : ITransport
{
    private const int ChunkBytes = 64 * 1024;

    private readonly VisaResource _resource;
    private readonly SerialSettings _serial;
    private readonly TimeSpan _connectTimeout;
    private readonly byte _terminator;
    private uint _session;
    private volatile bool _open;
    private TimeSpan _timeout;

    public VisaTransport(VisaResource resource, TimeSpan timeout, TimeSpan connectTimeout, SerialSettings? serial = null, byte terminator = (byte)'\n')
    {
        _resource = resource;
        _timeout = timeout;
        _connectTimeout = connectTimeout;
        _serial = serial ?? SerialSettings.Default;
        _terminator = terminator;
    }

    public string Resource => _resource.Canonical;

    public bool IsOpen => _open;

    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            _timeout = value;
            if (_open)
            {
                Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrTimeoutValue, TimeoutMs(value)), "viSetAttribute(VI_ATTR_TMO_VALUE)");
            }
        }
    }

    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        await CloseAsync().ConfigureAwait(false);
        await Task.Run(
            () =>
            {
                var rm = VisaLibrary.ResourceManager();
                var status = VisaInterop.Open(rm, _resource.Canonical, 0, (uint)TimeoutMs(_connectTimeout), out var session);
                if (status == VisaInterop.ErrorTimeout)
                {
                    throw new InstrumentTimeoutException(Resource, "viOpen", _connectTimeout);
                }

                if (status < 0)
                {
                    throw new InstrumentIOException(Resource, $"{Resource}: viOpen failed: {VisaLibrary.Describe(status, rm)}");
                }

                _session = session;
                _open = true;
                try
                {
                    Configure();
                }
                catch
                {
                    _ = VisaInterop.Close(session);
                    _open = false;
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    // Each VISA call blocks in the library, so it runs on the pool; the ValueTask wraps that Task (ITransport's shape).
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return new(Task.Run(() => WriteAll(data), cancellationToken));
    }

    public ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return new(Task.Run(
            () =>
            {
                if (terminator != _terminator)
                {
                    Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrTermChar, terminator), "viSetAttribute(VI_ATTR_TERMCHAR)");
                }

                try
                {
                    using var message = new MemoryStream();
                    while (message.Length < maxBytes)
                    {
                        var (chunk, status) = ReadChunk(Math.Min(ChunkBytes, maxBytes - (int)message.Length), "reading a reply");
                        message.Write(chunk);

                        // VI_SUCCESS means END (EOI on GPIB, end of message on USBTMC/VXI-11): the message is complete too.
                        if (status != VisaInterop.SuccessMaxCount)
                        {
                            var bytes = message.ToArray();
                            return bytes.Length > 0 && bytes[^1] == terminator ? bytes[..^1] : bytes;
                        }
                    }

                    throw new InstrumentProtocolException(Resource, $"{Resource}: no terminator 0x{terminator:X2} within {maxBytes} bytes");
                }
                finally
                {
                    if (terminator != _terminator)
                    {
                        _ = VisaInterop.SetAttribute(_session, VisaInterop.AttrTermChar, _terminator);
                    }
                }
            },
            cancellationToken));
    }

    public ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return new(Task.Run(
            () =>
            {
                // Binary payloads may contain the termination byte: read by count with termination disabled.
                Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrTermCharEnabled, 0), "viSetAttribute(VI_ATTR_TERMCHAR_EN)");
                try
                {
                    var result = new byte[count];
                    var got = 0;
                    while (got < count)
                    {
                        var (chunk, _) = ReadChunk(Math.Min(ChunkBytes, count - got), $"reading {count} bytes");
                        chunk.CopyTo(result.AsSpan(got));
                        got += chunk.Length;
                    }

                    return result;
                }
                finally
                {
                    _ = VisaInterop.SetAttribute(_session, VisaInterop.AttrTermCharEnabled, 1);
                }
            },
            cancellationToken));
    }

    public ValueTask ClearAsync(CancellationToken cancellationToken)
    {
        if (!_open)
        {
            return ValueTask.CompletedTask;
        }

        return new(Task.Run(() => Check(VisaInterop.Clear(_session), "viClear"), cancellationToken));
    }

    public ValueTask CloseAsync()
    {
        if (_open)
        {
            _open = false;
            _ = VisaInterop.Close(_session);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private static ulong TimeoutMs(TimeSpan t) => (ulong)Math.Clamp(Math.Ceiling(t.TotalMilliseconds), 1, uint.MaxValue - 1);

    private void Configure()
    {
        Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrTimeoutValue, TimeoutMs(_timeout)), "viSetAttribute(VI_ATTR_TMO_VALUE)");
        Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrTermChar, _terminator), "viSetAttribute(VI_ATTR_TERMCHAR)");
        Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrTermCharEnabled, 1), "viSetAttribute(VI_ATTR_TERMCHAR_EN)");
        if (_resource is SerialResource)
        {
            Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrAsrlBaud, (ulong)_serial.BaudRate), "viSetAttribute(VI_ATTR_ASRL_BAUD)");
            Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrAsrlDataBits, (ulong)_serial.DataBits), "viSetAttribute(VI_ATTR_ASRL_DATA_BITS)");
            Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrAsrlParity, (ulong)_serial.Parity), "viSetAttribute(VI_ATTR_ASRL_PARITY)");
            Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrAsrlStopBits, (ulong)_serial.StopBits), "viSetAttribute(VI_ATTR_ASRL_STOP_BITS)");
            Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrAsrlFlowControl, (ulong)_serial.FlowControl), "viSetAttribute(VI_ATTR_ASRL_FLOW_CNTRL)");
            Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrAsrlEndIn, VisaInterop.AsrlEndTermChar), "viSetAttribute(VI_ATTR_ASRL_END_IN)");
        }
        else
        {
            // Assert END (EOI / end-of-message) with the last byte of every write (VPP-4.3 VI_ATTR_SEND_END_EN).
            Check(VisaInterop.SetAttribute(_session, VisaInterop.AttrSendEndEnabled, 1), "viSetAttribute(VI_ATTR_SEND_END_EN)");
        }
    }

    private unsafe void WriteAll(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            using var pin = data.Pin();
            var status = VisaInterop.Write(_session, (byte*)pin.Pointer, (uint)data.Length, out var written);
            Check(status, "viWrite", $"writing {data.Length} bytes");
            data = data[(int)written..];
        }
    }

    private unsafe (byte[] Chunk, int Status) ReadChunk(int count, string operation)
    {
        var buffer = new byte[count];
        int status;
        uint read;
        fixed (byte* p = buffer)
        {
            status = VisaInterop.Read(_session, p, (uint)count, out read);
        }

        Check(status, "viRead", operation);
        return (buffer[..(int)read], status);
    }

    private void Check(int status, string call, string? operation = null)
    {
        if (status >= 0)
        {
            return;
        }

        if (status == VisaInterop.ErrorTimeout)
        {
            throw new InstrumentTimeoutException(Resource, operation ?? call, _timeout);
        }

        if (status is VisaInterop.ErrorConnectionLost or VisaInterop.ErrorIo)
        {
            _open = false;
        }

        throw new InstrumentIOException(Resource, $"{Resource}: {call} failed: {VisaLibrary.Describe(status, _session)}");
    }

    private void EnsureOpen()
    {
        if (!_open)
        {
            throw new InstrumentIOException(Resource, $"{Resource}: the VISA session is not open");
        }
    }
}

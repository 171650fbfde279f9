using System.Collections.Concurrent;
using System.Net;
using System.Text;
using CimHil.Emulator.Scpi;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// Serves an <see cref="ILineInstrument"/> on a loopback TCP port (VISA <c>TCPIP0::127.0.0.1::port::SOCKET</c>), the way
/// LAN instruments expose their raw socket (Keithley 2450 and 707B: port 5025). Keeps a transcript of every received message.
/// </summary>
public sealed class LineInstrumentServer : IAsyncDisposable
{
    private readonly ILineInstrument _instrument;
    private readonly ILogger _logger;
    private readonly int _maxMessageBytes;
    private readonly TcpClientHost _host;
    private readonly ConcurrentQueue<string> _received = new();
    private readonly SemaphoreSlim _executeLock = new(1, 1);
    private readonly byte _terminator;

    /// <summary>
    /// Listens on <paramref name="address"/>:<paramref name="port"/>; port 0 picks a free one. A message longer than
    /// <paramref name="maxMessageBytes"/> is discarded unexecuted; an emulated SCPI instrument queues -363 for it.
    /// </summary>
    public LineInstrumentServer(ILineInstrument instrument, ILogger logger, IPAddress? address = null, int port = 0, int maxMessageBytes = DefaultMaxMessageBytes, byte terminator = (byte)'\n')
    {
        // LF for SCPI and TSP instruments; NUL for Keithley KXCI over LAN (4200A-SCS reference manual, "Using KXCI").
        _terminator = terminator;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, MinimumMessageBytes);
        _instrument = instrument;
        _logger = logger;
        _maxMessageBytes = maxMessageBytes;
        _host = new TcpClientHost(address, port, ServeAsync, logger, $"Emulated {instrument.GetType().Name}");
    }

    /// <summary>Default longest program message, as on the board server (1 MiB).</summary>
    public const int DefaultMaxMessageBytes = ProgramMessageReader.DefaultMaxMessageBytes;

    /// <summary>Smallest message cap accepted: below it even <c>*IDN?</c> or a short compound message would not fit.</summary>
    public const int MinimumMessageBytes = 256;

    public int Port => _host.Port;

    /// <summary>The VISA resource string clients open.</summary>
    public string ResourceString => _host.ResourceString;

    /// <summary>Every program message received so far, in order (what the driver put on the wire).</summary>
    public IReadOnlyList<string> Received => [.. _received];

    /// <summary>Forgets the transcript (tests call it before the operation whose bytes they assert).</summary>
    public void ClearTranscript() => _received.Clear();

    public void Start() => _host.Start();

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync().ConfigureAwait(false);
        _executeLock.Dispose();
    }

    // One LF-terminated program message at a time; instruments execute one message at a time across clients.
    private async Task ServeAsync(Stream stream, string peer, CancellationToken cancellationToken)
    {
        var reader = new ProgramMessageReader(stream, _maxMessageBytes, PushError, 16 * 1024, _terminator);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            _received.Enqueue(message);
            string? reply;
            await _executeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                reply = await _instrument.ExecuteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _executeLock.Release();
            }

            if (reply is not null)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + (char)_terminator), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void PushError(int code, string message)
    {
        _logger.Debug("{Instrument}: {Code} {Message}", _instrument.GetType().Name, code, message);
        if (_instrument is IScpiErrorQueueOwner owner)
        {
            owner.Errors.Push(code, message);
        }
    }
}

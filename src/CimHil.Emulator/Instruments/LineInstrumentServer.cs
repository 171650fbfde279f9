using System.Collections.Concurrent;
using System.Net;
using System.Text;
using CimHil.Emulator.Scpi;
using CimHil.Emulator.Wire;
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
    private readonly TcpClientHost? _host;
    private readonly PseudoTerminal? _pty;
    private readonly CancellationTokenSource _stop = new();
    private Task? _serving;
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

    private LineInstrumentServer(ILineInstrument instrument, ILogger logger, byte terminator)
    {
        (_instrument, _logger, _maxMessageBytes, _terminator) = (instrument, logger, DefaultMaxMessageBytes, terminator);
        _pty = new PseudoTerminal();
    }

    /// <summary>
    /// Serves <paramref name="instrument"/> on a serial line instead: a pseudo-terminal (Linux) that clients open as
    /// <c>ASRL/dev/pts/N::INSTR</c>, messages ending with <paramref name="terminator"/> both ways (LF, or CR for an
    /// instrument set to CR on its RS-232 port).
    /// </summary>
    public static LineInstrumentServer OnPseudoTerminal(ILineInstrument instrument, ILogger logger, byte terminator = (byte)'\n') =>
        new(instrument, logger, terminator);

    /// <summary>Default longest program message, as on the board server (1 MiB).</summary>
    public const int DefaultMaxMessageBytes = ProgramMessageReader.DefaultMaxMessageBytes;

    /// <summary>Smallest message cap accepted: below it even <c>*IDN?</c> or a short compound message would not fit.</summary>
    public const int MinimumMessageBytes = 256;

    /// <summary>The TCP port (0 on a pseudo-terminal).</summary>
    public int Port => _host?.Port ?? 0;

    /// <summary>The VISA resource string clients open.</summary>
    public string ResourceString => _host?.ResourceString ?? _pty!.ResourceString;

    /// <summary>Every program message received so far, in order (what the driver put on the wire).</summary>
    public IReadOnlyList<string> Received => [.. _received];

    /// <summary>Forgets the transcript (tests call it before the operation whose bytes they assert).</summary>
    public void ClearTranscript() => _received.Clear();

    public void Start()
    {
        if (_host is not null)
        {
            _host.Start();
            return;
        }

        _pty!.Create();
        _serving = Task.Run(() => ServeAsync(_pty.MasterStream, _pty.DevicePath, _stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync().ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_serving is not null)
        {
            try
            {
                await _serving.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped while waiting for the next message: the normal end of a serial line's server.
            }
        }

        _pty?.Dispose();
        _stop.Dispose();
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

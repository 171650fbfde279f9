using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>An emulated instrument that speaks LF-terminated messages: one program message in, at most one response out.</summary>
public interface ILineInstrument
{
    /// <summary>Executes one program message (without its terminator); returns the response, or null when there is none.</summary>
    Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken);
}

/// <summary>
/// Serves an <see cref="ILineInstrument"/> on a loopback TCP port (VISA <c>TCPIP0::127.0.0.1::port::SOCKET</c>), the way
/// LAN instruments expose their raw socket (Keithley 2450 and 707B: port 5025). Keeps a transcript of every received message.
/// </summary>
public sealed class LineInstrumentServer : IAsyncDisposable
{
    private readonly ILineInstrument _instrument;
    private readonly TcpClientHost _host;
    private readonly ConcurrentQueue<string> _received = new();
    private readonly SemaphoreSlim _executeLock = new(1, 1);

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/>; port 0 picks a free one.</summary>
    public LineInstrumentServer(ILineInstrument instrument, ILogger logger, IPAddress? address = null, int port = 0)
    {
        _instrument = instrument;
        _host = new TcpClientHost(address, port, ServeAsync, logger, $"Emulated {instrument.GetType().Name}");
    }

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
        var buffer = new byte[16 * 1024];
        var line = new MemoryStream();
        while (!cancellationToken.IsCancellationRequested)
        {
            var n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                line.Write(buffer, start, i - start);
                start = i + 1;
                var message = Encoding.ASCII.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r');
                line.SetLength(0);
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
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\n"), cancellationToken).ConfigureAwait(false);
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            line.Write(buffer, start, n - start);
        }
    }
}

using System.Text;
using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Emulator.Wire;

/// <summary>
/// The emulated chip as an instrument: the <see cref="BoardProtocol"/> plus fault injection, served on any byte stream
/// (TCP connections via <see cref="BoardTcpServer"/>, a pseudo-terminal via <see cref="BoardPtyServer"/>).
/// Messages are LF-terminated (a trailing CR is ignored), replies end with LF.
/// </summary>
public sealed class BoardServer : IDisposable
{
    /// <summary>Longest program message accepted; longer input raises -363 "Input buffer overrun".</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    private readonly FaultState _faults = new();
    private readonly ILogger _logger;

    public BoardServer(IChip chip, ILogger logger)
    {
        _logger = logger;
        Protocol = new BoardProtocol(chip, logger);
    }

    public BoardProtocol Protocol { get; }

    /// <summary>Programming pulses applied through the wire (never more than the client asked for).</summary>
    public long PulsesApplied => Protocol.PulsesApplied;

    /// <summary>The faults to inject; setting re-arms the counters.</summary>
    public BoardFaults Faults
    {
        get => _faults.Faults;
        set
        {
            _faults.Faults = value;
            _logger.Information("Board fault injection: {Faults}", value.ToString());
        }
    }

    public void Dispose() => Protocol.Dispose();

    /// <summary>
    /// Serves one duplex stream until the peer closes it, a drop fault fires (when <paramref name="canDrop"/>), or
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task ServeAsync(Stream stream, bool canDrop, string peer, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        var overrun = false;
        _logger.Debug("Board client {Peer} connected", peer);
        try
        {
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

                    message.Write(buffer, start, i - start);
                    start = i + 1;
                    if (overrun)
                    {
                        overrun = false;
                        message.SetLength(0);
                        continue;
                    }

                    var line = Encoding.ASCII.GetString(message.GetBuffer(), 0, (int)message.Length).TrimEnd('\r');
                    message.SetLength(0);
                    if (!await HandleAsync(stream, line, canDrop, peer, cancellationToken).ConfigureAwait(false))
                    {
                        if (canDrop)
                        {
                            return;
                        }

                        // A serial line cannot hang up: the outage loses the rest of what the client sent in this burst.
                        start = n;
                        break;
                    }
                }

                message.Write(buffer, start, n - start);
                if (message.Length > MaxMessageBytes && !overrun)
                {
                    overrun = true;
                    Protocol.PushError(-363, $"Input buffer overrun;message longer than {MaxMessageBytes} bytes");
                }

                if (overrun)
                {
                    message.SetLength(0);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException ex)
        {
            _logger.Debug("Board client {Peer} link error: {Error}", peer, ex.Message);
        }
        finally
        {
            _logger.Debug("Board client {Peer} disconnected", peer);
        }
    }

    /// <summary>Executes one message with the armed faults; false when the link must be dropped.</summary>
    private async Task<bool> HandleAsync(Stream stream, string line, bool canDrop, string peer, CancellationToken cancellationToken)
    {
        var decision = _faults.Next();
        if (decision.Stall)
        {
            _logger.Debug("Board stalls on {Command} from {Peer}", line, peer);
            return true;
        }

        var reply = await Protocol.ExecuteAsync(line, cancellationToken).ConfigureAwait(false);
        if (decision.Drop)
        {
            _logger.Information("Board fault: dropping the link to {Peer} after {Command}", peer, line);
            return false;
        }

        if (reply is null)
        {
            return true;
        }

        if (decision.Delay > TimeSpan.Zero)
        {
            await Task.Delay(decision.Delay, cancellationToken).ConfigureAwait(false);
        }

        if (_faults.TakeCorruption())
        {
            _logger.Information("Board fault: corrupting the reply to {Command}", line);
            reply = (byte[])reply.Clone();
            reply[0] = (byte)'?';
        }

        var framed = new byte[reply.Length + 1];
        reply.CopyTo(framed, 0);
        framed[^1] = (byte)'\n';
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }
}

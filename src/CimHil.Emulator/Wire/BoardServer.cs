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
    private readonly FaultState _faults = new();
    private readonly ILogger _logger;

    /// <summary>Serves <paramref name="chip"/> with the safety limits and wire bounds of <paramref name="options"/> (default: <see cref="BoardServerOptions.Default"/>).</summary>
    public BoardServer(IChip chip, ILogger logger, BoardServerOptions? options = null)
    {
        _logger = logger;
        Options = (options ?? BoardServerOptions.Default).Validate();
        Protocol = new BoardProtocol(chip, logger, Options);
    }

    public BoardProtocol Protocol { get; }

    /// <summary>The safety limits and wire bounds in force.</summary>
    public BoardServerOptions Options { get; }

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
        var maxMessageBytes = Options.MaxMessageBytes;

        // Input is held only up to the cap: past it the message is marked overrun and its bytes are dropped as they
        // arrive, until its LF; so one connection holds at most the cap plus one read buffer, however long the line.
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

                    overrun = Append(message, buffer.AsSpan(start, i - start), overrun, maxMessageBytes);
                    start = i + 1;
                    if (overrun)
                    {
                        // The whole over-long message is discarded, none of it executed; the next one is served normally.
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

                overrun = Append(message, buffer.AsSpan(start, n - start), overrun, maxMessageBytes);
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

    /// <summary>
    /// Adds bytes of the current message unless that would pass the cap: then -363 is queued once for the message
    /// (SCPI-99: "input buffer overrun") and its bytes are dropped. Returns whether the message has overrun.
    /// </summary>
    private bool Append(MemoryStream message, ReadOnlySpan<byte> bytes, bool overrun, int maxMessageBytes)
    {
        if (overrun)
        {
            return true;
        }

        // A CR before the LF is not part of the message and does not count against the cap.
        var counted = message.Length + bytes.Length - (bytes.Length > 0 && bytes[^1] == (byte)'\r' ? 1 : 0);
        if (counted > maxMessageBytes)
        {
            Protocol.PushError(-363, $"Input buffer overrun;message longer than {maxMessageBytes} bytes, discarded unexecuted");
            message.SetLength(0);
            return true;
        }

        message.Write(bytes);
        return false;
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

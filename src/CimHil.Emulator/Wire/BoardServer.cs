using System.Text;
using CimHil.Core.Chip;
using CimHil.Emulator.Scpi;
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

    /// <summary>
    /// Program messages received (on all connections) since <see cref="Faults"/> was last set, stalled ones included: a
    /// client or test can tell that a message reached the fault decision before it changes the faults.
    /// </summary>
    public long MessagesSinceFaultsSet => _faults.Messages;

    public void Dispose() => Protocol.Dispose();

    /// <summary>
    /// Serves one duplex stream until the peer closes it, a drop fault fires (when <paramref name="canDrop"/>), or
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task ServeAsync(Stream stream, bool canDrop, string peer, CancellationToken cancellationToken)
    {
        var reader = new ProgramMessageReader(stream, Options.MaxMessageBytes, Protocol.PushError);
        _logger.Debug("Board client {Peer} connected", peer);
        try
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (!await HandleAsync(stream, line, canDrop, peer, cancellationToken).ConfigureAwait(false))
                {
                    if (canDrop)
                    {
                        return;
                    }

                    // A serial line cannot hang up: the outage loses the rest of what the client sent in this burst.
                    reader.DiscardBuffered();
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

using CimHil.Core.Safety;
using Serilog;

namespace CimHil.Server.Operations;

/// <summary>What a job gets while it runs: the chip (when it needs one), its log, its events and how it is stopped.</summary>
public sealed class OperationContext
{
    private readonly CancellationTokenSource _cancel;

    internal OperationContext(string id, SafeChip? chip, ILogger log, CancellationTokenSource cancel, Action<string, object> publish)
    {
        Id = id;
        Chip = chip;
        Log = log;
        _cancel = cancel;
        Publish = publish;
    }

    public string Id { get; }

    /// <summary>The connected chip, behind its safety limits; null for a job that needs none.</summary>
    public SafeChip? Chip { get; }

    public SafeChip RequireChip() => Chip ?? throw new InvalidOperationException($"operation {Id} holds no chip");

    /// <summary>The operation's log: the server's, with warnings also sent to the live stream.</summary>
    public ILogger Log { get; }

    /// <summary>Sends a live event of this operation.</summary>
    public Action<string, object> Publish { get; }

    public CancellationToken CancellationToken => _cancel.Token;

    /// <summary>
    /// Set by a job while it stores measurements: Stop then waits for the next commit (<see cref="Committed"/>) rather
    /// than cancelling a unit half-way, so the store holds only whole units and a resume repeats nothing.
    /// </summary>
    public bool StopsAtCommit { get; set; }

    internal bool StopRequested { get; set; }

    /// <summary>Called after each commit: the point where a requested stop loses nothing.</summary>
    public void Committed()
    {
        if (StopRequested)
        {
            _cancel.Cancel();
        }
    }
}

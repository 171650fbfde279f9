using CimHil.Core.Safety;
using CimHil.Server.Jobs;
using Serilog;

namespace CimHil.Server.Operations;

/// <summary>What a job gets while it runs: the chip (when it needs one), its log, its events and how it is stopped.</summary>
public sealed class OperationContext
{
    private readonly CancellationTokenSource _cancel;
    private readonly CommitHold? _hold;

    internal OperationContext(string id, SafeChip? chip, ILogger log, CancellationTokenSource cancel, Action<string, object> publish, CommitHold? hold = null)
    {
        Id = id;
        Chip = chip;
        Log = log;
        _cancel = cancel;
        Publish = publish;
        _hold = hold;
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

    /// <summary>Ends a stretch of commits (<see cref="StopsAtCommit"/> off): a Stop already waiting for a commit takes effect now.</summary>
    public void CommitsEnded()
    {
        StopsAtCommit = false;
        if (StopRequested)
        {
            _cancel.Cancel();
        }
    }

    /// <summary>
    /// Called after each commit (<paramref name="stored"/>): the point where a requested stop loses nothing. A test's
    /// <see cref="CommitHold"/> holds the run here first, so a Stop sent meanwhile lands at exactly this commit.
    /// </summary>
    public void Committed(LiveStored stored)
    {
        _hold?.AtCommit(stored, _cancel.Token);
        if (StopRequested)
        {
            _cancel.Cancel();
        }
    }
}

using System.Threading.Channels;
using CimHil.Server.Jobs;

namespace CimHil.Server.Operations;

/// <summary>
/// For tests: holds a characterisation (alone or inside <c>run</c>) right after a commit that <c>holdsAt</c> picks, until
/// the test releases it, so a test stops, watches or reads the run at a known point instead of racing it. The run waits
/// between two units (everything before is stored, nothing after has been applied), on the writing thread, before
/// <see cref="OperationContext.Committed"/> looks for a requested stop: a Stop sent while it is held takes effect at
/// exactly that commit. <c>cimhil serve</c> never sets one (<see cref="BenchServerOptions.CommitHold"/>).
/// </summary>
public sealed class CommitHold(Func<LiveStored, bool> holdsAt)
{
    private readonly Channel<LiveStored> _held = Channel.CreateUnbounded<LiveStored>();
    private readonly Channel<bool> _releases = Channel.CreateUnbounded<bool>();
    private volatile bool _open;

    /// <summary>Waits until a run is held; returns the commit it is held after (totals included).</summary>
    public ValueTask<LiveStored> NextAsync(CancellationToken cancellationToken) => _held.Reader.ReadAsync(cancellationToken);

    /// <summary>Lets the held run go on to its next commit (where it is held again if <c>holdsAt</c> says so).</summary>
    public void Release() => _releases.Writer.TryWrite(true);

    /// <summary>Lets the held run go, and holds nothing any more (a resume runs to its end).</summary>
    public void Open()
    {
        _open = true;
        _releases.Writer.TryWrite(true);
    }

    /// <summary>Called on the writing thread after each commit; returns when released, opened, or the operation is cancelled.</summary>
    internal void AtCommit(LiveStored stored, CancellationToken cancellationToken)
    {
        if (_open || !holdsAt(stored))
        {
            return;
        }

        _held.Writer.TryWrite(stored);
        try
        {
            // Blocking on purpose: the writing thread is the characterisation's own, and it must not go on until released.
            _releases.Reader.ReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Stop's grace ran out or the server is shutting down: the run's next chip operation sees the cancellation.
            // Not thrown from here: the store's commit listeners must not throw (the records are stored already).
        }
    }
}

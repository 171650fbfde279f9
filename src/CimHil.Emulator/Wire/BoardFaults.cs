namespace CimHil.Emulator.Wire;

/// <summary>
/// Faults the board server injects on the wire, to exercise client resilience. Counts are program messages (lines)
/// received after the faults were set. Immutable: assign a new value to <see cref="BoardServer.Faults"/> to re-arm.
/// </summary>
public sealed record BoardFaults
{
    public static BoardFaults None { get; } = new();

    /// <summary>
    /// Drop the link on the N-th message: it is executed, its reply is lost, then the TCP connection is closed (a
    /// pseudo-terminal cannot hang up: the reply and the rest of that input burst are discarded). Fires once unless
    /// <see cref="RepeatDrop"/>.
    /// </summary>
    public int? DropAfterCommands { get; init; }

    /// <summary>Drop on every N-th message instead of once (an instrument that keeps failing, for the circuit breaker).</summary>
    public bool RepeatDrop { get; init; }

    /// <summary>Wait this long before every reply.</summary>
    public TimeSpan ReplyDelay { get; init; }

    /// <summary>Corrupt the next N replies (first byte replaced by '?', so numbers and block headers no longer parse).</summary>
    public int CorruptReplies { get; init; }

    /// <summary>After N messages stop executing and answering altogether (the link stays up) until faults are reset.</summary>
    public int? StallAfterCommands { get; init; }

    public override string ToString()
    {
        var parts = new List<string>();
        if (DropAfterCommands is { } d)
        {
            parts.Add(RepeatDrop ? $"drop every {d}" : $"drop after {d}");
        }

        if (ReplyDelay > TimeSpan.Zero)
        {
            parts.Add($"delay {ReplyDelay.TotalMilliseconds:G4} ms");
        }

        if (CorruptReplies > 0)
        {
            parts.Add($"corrupt {CorruptReplies}");
        }

        if (StallAfterCommands is { } s)
        {
            parts.Add($"stall after {s}");
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}

/// <summary>What to do with one received message.</summary>
internal readonly record struct FaultDecision(bool Stall, bool Drop, bool Corrupt, TimeSpan Delay);

/// <summary>The armed faults and their counters; one per server, shared by all connections.</summary>
internal sealed class FaultState
{
    private readonly Lock _gate = new();
    private BoardFaults _faults = BoardFaults.None;
    private long _messages;
    private bool _dropFired;
    private int _corruptLeft;

    public BoardFaults Faults
    {
        get
        {
            lock (_gate)
            {
                return _faults;
            }
        }

        set
        {
            lock (_gate)
            {
                _faults = value;
                _messages = 0;
                _dropFired = false;
                _corruptLeft = value.CorruptReplies;
            }
        }
    }

    /// <summary>Messages received since the faults were last set (each one decided, stalled or not).</summary>
    public long Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages;
            }
        }
    }

    /// <summary>Decides the fate of the next message (before executing it).</summary>
    public FaultDecision Next()
    {
        lock (_gate)
        {
            var n = ++_messages;
            var f = _faults;
            if (f.StallAfterCommands is { } s && n > s)
            {
                return new FaultDecision(Stall: true, Drop: false, Corrupt: false, TimeSpan.Zero);
            }

            var drop = false;
            if (f.DropAfterCommands is { } d && d > 0)
            {
                drop = f.RepeatDrop ? n % d == 0 : !_dropFired && n == d;
                _dropFired |= drop;
            }

            return new FaultDecision(Stall: false, drop, Corrupt: false, f.ReplyDelay);
        }
    }

    /// <summary>Consumes one pending corruption when a reply is about to be sent.</summary>
    public bool TakeCorruption()
    {
        lock (_gate)
        {
            if (_corruptLeft <= 0)
            {
                return false;
            }

            _corruptLeft--;
            return true;
        }
    }
}

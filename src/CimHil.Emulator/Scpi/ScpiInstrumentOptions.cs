using System.Text;

namespace CimHil.Emulator.Scpi;

/// <summary>Where the emulated instruments' message handling differs; everything else is the same for all.</summary>
internal sealed record ScpiInstrumentOptions
{
    /// <summary>Default largest response message: 16 MiB holds a 1024×1024 REAL,64 block read (8 MiB) with room to spare.</summary>
    public const int DefaultMaxReplyBytes = 16 * 1024 * 1024;

    /// <summary>The instrument's name in the log.</summary>
    public required string Name { get; init; }

    /// <summary>Between the responses of one message: ';' (IEEE 488.2 section 8.4.1), or LF for TSP print() output.</summary>
    public char ResponseSeparator { get; init; } = ';';

    /// <summary>What happens to the rest of a message after a unit fails.</summary>
    public ScpiErrorPolicy AfterError { get; init; } = ScpiErrorPolicy.DiscardMessage;

    /// <summary>Largest response message; the message that would pass it is answered by silence and queues -430.</summary>
    public int MaxReplyBytes { get; init; } = DefaultMaxReplyBytes;

    /// <summary>How text responses become bytes.</summary>
    public Encoding ReplyEncoding { get; init; } = Encoding.ASCII;

    /// <summary>Whether the SCPI <c>SYSTem:ERRor[:NEXT]?</c> and <c>SYSTem:ERRor:COUNt?</c> queries are served (not by TSP or FLEX instruments).</summary>
    public bool SystemErrorQueries { get; init; } = true;

    /// <summary>Whether a full error queue ends in -350 "Queue overflow" (SCPI-99, TSP) or just keeps its first entries (FLEX).</summary>
    public bool QueueOverflowEntry { get; init; } = true;
}

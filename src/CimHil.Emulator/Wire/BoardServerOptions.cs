using CimHil.Core.Safety;
using CimHil.Emulator.Scpi;

namespace CimHil.Emulator.Wire;

/// <summary>
/// What the served board refuses (docs/protocol.md, "Limits"): the safety limits every stimulus is checked against
/// before it reaches the array, and the bounds that keep one connection's memory finite.
/// </summary>
public sealed record BoardServerOptions
{
    /// <summary>Default longest program message: 1 MiB holds a 128-row ARR:VMM? many times over.</summary>
    public const int DefaultMaxMessageBytes = ProgramMessageReader.DefaultMaxMessageBytes;

    /// <summary>Default largest response message: 16 MiB holds a 1024×1024 REAL,64 block read (8 MiB) with room to spare.</summary>
    public const int DefaultMaxReplyBytes = ScpiInstrumentOptions.DefaultMaxReplyBytes;

    /// <summary>Smallest cap accepted for either bound: below it even <c>*IDN?</c> or a short compound message would not fit.</summary>
    public const int MinimumBytes = 256;

    /// <summary>The defaults: <see cref="SafetyLimits.Default"/> (the shipped hil-config.json's chip.safety), 1 MiB in, 16 MiB out.</summary>
    public static BoardServerOptions Default { get; } = new();

    /// <summary>Limits every CELL:PROG, CELL:FORM, CELL:READ?, ROW:READ?, BLK:READ? and ARR:VMM? is checked against; -222 when exceeded.</summary>
    public SafetyLimits Limits { get; init; } = SafetyLimits.Default;

    /// <summary>Longest program message (bytes before the LF); a longer one is discarded unexecuted with -363.</summary>
    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary>
    /// Largest response message (bytes before the LF), which is also all the output a connection can have queued: the
    /// server reads a connection's next message only after its previous reply was written. Responses that would exceed it
    /// are discarded with -430.
    /// </summary>
    public int MaxReplyBytes { get; init; } = DefaultMaxReplyBytes;

    /// <summary>Checks the options once, where the server is built (Polly-style: validated once, then trusted).</summary>
    public BoardServerOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Limits);
        foreach (var (name, value) in new[] { (nameof(MaxMessageBytes), MaxMessageBytes), (nameof(MaxReplyBytes), MaxReplyBytes) })
        {
            if (value < MinimumBytes)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} {value} bytes is below the minimum of {MinimumBytes} bytes");
            }
        }

        return this;
    }
}

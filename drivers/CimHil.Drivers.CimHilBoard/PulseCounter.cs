using System.Globalization;
using CimHil.Instruments;
using CimHil.Instruments.Scpi;
using Serilog;

namespace CimHil.Drivers.CimHilBoard;

/// <summary>
/// What this client knows of one of the board's pulse counters (<c>SYST:PULS:COUN?</c> or <c>SYST:FORM:COUN?</c>,
/// docs/protocol.md): the value read at connect plus the pulses confirmed since. After a pulse whose outcome is
/// uncertain, reading the counter again settles it: one more than known means applied, equal means not applied.
/// This holds while this client is the only one pulsing the board (a characterisation owns it); any other difference
/// is reported as unknown and the count re-based.
/// </summary>
internal sealed class PulseCounter(string query, long? known)
{
    /// <summary>The counter's value as of the last confirmed pulse; null once it could not be read.</summary>
    public long? Known { get; private set; } = known;

    /// <summary>
    /// Reads the counter again when an outage left it unknown, so the next uncertain pulse can be settled; a no-op
    /// otherwise (no extra round trip per pulse).
    /// </summary>
    public async Task EnsureKnownAsync(ScpiSession session, CancellationToken cancellationToken)
    {
        if (Known is null)
        {
            Known = await session.QueryParsedAsync(query, ParseCount, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A pulse was confirmed by the board.</summary>
    public void Counted() => Known++;

    /// <summary>Reads the counter (an idempotent, retried query) and says whether the uncertain pulse was applied.</summary>
    public async Task<bool?> ResolveAsync(ScpiSession session, ILogger logger, CancellationToken cancellationToken)
    {
        long now;
        try
        {
            now = await session.QueryParsedAsync(query, ParseCount, cancellationToken).ConfigureAwait(false);
        }
        catch (InstrumentException ex)
        {
            // The link stayed down past the session's retries: the pulse stays unknown, and so does the count.
            logger.Warning("Board {Resource}: {Query} failed after an uncertain pulse; its outcome stays unknown: {Error}", session.Resource, query, ex.Message);
            Known = null;
            return null;
        }

        var before = Known;
        Known = now;
        return (now - before) switch
        {
            1 => true,
            0 => false,
            _ => null,
        };
    }

    public static long ParseCount(string reply) =>
        long.TryParse(reply.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"answered '{reply}', expected a non-negative integer");
}

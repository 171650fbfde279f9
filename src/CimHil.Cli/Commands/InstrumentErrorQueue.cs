using System.Globalization;
using System.Text.RegularExpressions;
using CimHil.Instruments;
using CimHil.Instruments.Scpi;

namespace CimHil.Cli.Commands;

/// <summary>How an instrument's error queue is read, chosen from its <c>*IDN?</c> reply (probe and shell use it).</summary>
public sealed partial record InstrumentErrorQueue
{
    /// <summary>The instrument family: SCPI, TSP (Keithley Lua scripting) or FLEX (Keysight B1500).</summary>
    public required string Family { get; init; }

    /// <summary>The query that reads the next error (for TSP, the statement that prints it).</summary>
    public required string NextQuery { get; init; }

    /// <summary>SCPI-99 (volume 2 section 21.8): <c>SYST:ERR?</c> answers <c>code,"message"</c>, 0 when empty.</summary>
    public static InstrumentErrorQueue Scpi { get; } = new() { Family = "SCPI", NextQuery = "SYST:ERR?" };

    /// <summary>
    /// TSP (707B reference manual 707B-901-01 section 7, 2600B reference manual 2600BS-901-01 "errorqueue"): there is no
    /// SYST:ERR?, so a SCPI probe times out; <c>errorqueue.count</c> and <c>errorqueue.next()</c> are read through print().
    /// </summary>
    public static InstrumentErrorQueue Tsp { get; } = new() { Family = "TSP", NextQuery = "print(errorqueue.next())" };

    /// <summary>Keysight B1500 FLEX (B1500 programming guide, ERRX?): answers <c>code,"message"</c>, 0 when empty.</summary>
    public static InstrumentErrorQueue Flex { get; } = new() { Family = "FLEX", NextQuery = "ERRX?" };

    /// <summary>The query that tells how many errors are queued (TSP only).</summary>
    public const string TspCountQuery = "print(errorqueue.count)";

    /// <summary>Most errors read in one drain (TSP queues hold up to 1000; a probe needs the first few).</summary>
    private const int MaxDrained = 64;

    /// <summary>
    /// The family from the identity: Keithley's TSP-only instruments (707B/708B matrices, 2600A/B SourceMeters, 3706A,
    /// 2650 high-power SMUs) read errors through TSP; the B1500 through FLEX; everything else through SCPI.
    /// <paramref name="explicitQuery"/> (the --error-query option) wins when given.
    /// </summary>
    public static InstrumentErrorQueue For(InstrumentIdentity identity, string? explicitQuery)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!string.IsNullOrWhiteSpace(explicitQuery))
        {
            var q = explicitQuery.Trim();
            return q.Contains("errorqueue", StringComparison.OrdinalIgnoreCase) ? Tsp : new InstrumentErrorQueue { Family = "explicit", NextQuery = q };
        }

        if (identity.Manufacturer.Contains("Keithley", StringComparison.OrdinalIgnoreCase) && TspModel().IsMatch(identity.Model))
        {
            return Tsp;
        }

        return identity.Model.Contains("B1500", StringComparison.OrdinalIgnoreCase) ? Flex : Scpi;
    }

    /// <summary>Reads and empties the queue; returns the errors, oldest first.</summary>
    public async Task<IReadOnlyList<ScpiError>> DrainAsync(ScpiSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!ReferenceEquals(this, Tsp))
        {
            // Read by hand rather than through the session's own drain: the family is known only after *IDN?, when the
            // session's options are already fixed.
            var queued = new List<ScpiError>();
            for (var i = 0; i < MaxDrained; i++)
            {
                var reply = await session.QueryAsync(NextQuery, cancellationToken);
                ScpiError error;
                try
                {
                    error = ScpiError.Parse(reply);
                }
                catch (FormatException ex)
                {
                    throw new InstrumentProtocolException(session.Resource, $"{session.Resource}: reply '{reply}' to {NextQuery} is not code,\"message\" ({ex.Message})", ex);
                }

                if (!error.IsError)
                {
                    break;
                }

                queued.Add(error);
            }

            return queued;
        }

        var countReply = await session.QueryAsync(TspCountQuery, cancellationToken);
        if (!double.TryParse(countReply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var count) || !double.IsFinite(count))
        {
            throw new InstrumentProtocolException(session.Resource, $"{session.Resource}: reply '{countReply}' to {TspCountQuery} is not a number");
        }

        var errors = new List<ScpiError>();
        for (var i = 0; i < count && i < MaxDrained; i++)
        {
            // errorqueue.next() returns errorCode, message, severity, errorNode; print() separates them by tabs.
            var fields = (await session.QueryAsync(NextQuery, cancellationToken)).Split('\t');
            var code = double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var c) ? (int)c : -300;
            errors.Add(new ScpiError(code, fields.Length > 1 ? fields[1] : fields[0]));
        }

        return errors;
    }

    [GeneratedRegex(@"\b(70[78][AB]?|26\d\d[AB]?|3706A?|2651A|2657A)\b", RegexOptions.IgnoreCase)]
    private static partial Regex TspModel();
}

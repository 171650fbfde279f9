using System.Globalization;
using CimHil.Instruments.Scpi;

namespace CimHil.Instruments.Tsp;

/// <summary>
/// The error queue of a TSP instrument: TSP has no <c>SYST:ERR?</c>; errors are counted with <c>errorqueue.count</c> and read
/// with <c>errorqueue.next()</c>, which returns code, message, severity and node, printed tab-separated
/// (2600B reference manual 2600BS-901-01, section 11, "errorqueue.next()").
/// </summary>
public static class TspErrorQueue
{
    /// <summary>TSP that empties the error queue.</summary>
    public const string ClearCommand = "errorqueue.clear()";

    /// <summary>TSP that prints how many errors are queued.</summary>
    public const string CountQuery = "print(errorqueue.count)";

    /// <summary>TSP that prints the oldest queued error (code, message, severity, node; tab-separated).</summary>
    public const string NextQuery = "print(errorqueue.next())";

    /// <summary>At most this many errors are read after one statement (the 2600B's queue holds more, the first decides).</summary>
    public const int MaxRead = 32;

    /// <summary>
    /// Reads <c>errorqueue.count</c> after <paramref name="statement"/> and raises the first queued error, if any. With
    /// <paramref name="afterPulse"/> the count is read without retry: when the link fails then, whether the pulse ran is unknown.
    /// </summary>
    public static async Task ThrowIfErrorsAsync(ScpiSession session, string statement, bool afterPulse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var reply = afterPulse
            ? await session.QueryNonIdempotentAsync(CountQuery, cancellationToken).ConfigureAwait(false)
            : await session.QueryAsync(CountQuery, cancellationToken).ConfigureAwait(false);
        if (!double.TryParse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var count) || !double.IsFinite(count))
        {
            var error = new InstrumentProtocolException(session.Resource, $"{session.Resource}: reply '{reply}' to errorqueue.count is not a number");
            throw afterPulse ? new UncertainOutcomeException(session.Resource, statement, error) : error;
        }

        if (count < 1)
        {
            return;
        }

        var errors = new List<ScpiError>();
        for (var i = 0; i < count && i < MaxRead; i++)
        {
            var fields = (await session.QueryAsync(NextQuery, cancellationToken).ConfigureAwait(false)).Split('\t');
            var code = fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var c) ? (int)c : -300;
            errors.Add(new ScpiError(code, fields.Length > 1 ? fields[1] : string.Join(' ', fields)));
        }

        throw new ScpiErrorException(session.Resource, statement, errors[0], errors);
    }
}

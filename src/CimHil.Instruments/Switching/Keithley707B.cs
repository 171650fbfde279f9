using System.Globalization;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Instruments.Switching;

/// <summary>
/// A Keithley 707B-class switching matrix in its own terms (crosspoints), driven through its TSP command set (707B reference
/// manual 707B-901-01, section 7) over a <see cref="ScpiSession"/>: every statement is followed by an <c>errorqueue.count</c>
/// check, because TSP has no SYST:ERR?. Which crosspoints a cell needs is the driver's business (MatrixCabling).
/// </summary>
public sealed class Keithley707B(ScpiSession session) : ScpiInstrument(session)
{
    /// <summary>TSP that opens every crosspoint (channel.open()).</summary>
    public const string OpenAllCommand = "channel.open(\"allslots\")";

    /// <summary>TSP that empties the error queue.</summary>
    public const string ClearErrorsCommand = "errorqueue.clear()";

    /// <summary>TSP that reads how many errors are queued.</summary>
    public const string ErrorCountQuery = "print(errorqueue.count)";

    /// <summary>TSP that reads the oldest queued error as code, message, severity, node (tab-separated).</summary>
    public const string NextErrorQuery = "print(errorqueue.next())";

    /// <summary>
    /// Session options for the 707B: TSP has no SYST:ERR? to probe after a silent query; errors are read from errorqueue instead.
    /// </summary>
    public static ScpiSessionOptions SessionOptions { get; } = new() { ProbeErrorsOnSilentQuery = false };

    /// <summary>Opens a session to a 707B with <see cref="SessionOptions"/>.</summary>
    public static async Task<Keithley707B> OpenAsync(string resource, TransportOptions options, ILogger logger, ITransportFactory factory, CancellationToken cancellationToken) =>
        new(await ScpiSession.OpenAsync(resource, options, logger, cancellationToken, factory, SessionOptions).ConfigureAwait(false));

    /// <summary>
    /// TSP that closes exactly <paramref name="crosspoints"/> and opens every other one (channel.exclusiveclose()).
    /// </summary>
    public static string ExclusiveCloseCommand(IEnumerable<MatrixCrosspoint> crosspoints) =>
        $"channel.exclusiveclose(\"{string.Join(',', crosspoints.Select(c => c.Name))}\")";

    /// <summary>Empties the error queue.</summary>
    public Task ClearErrorsAsync(CancellationToken cancellationToken) => TspAsync(ClearErrorsCommand, cancellationToken);

    /// <summary>Opens every crosspoint.</summary>
    public Task OpenAllAsync(CancellationToken cancellationToken) => TspAsync(OpenAllCommand, cancellationToken);

    /// <summary>Closes exactly <paramref name="crosspoints"/>, every other one open (see <see cref="ExclusiveCloseCommand"/>).</summary>
    public Task ExclusiveCloseAsync(IEnumerable<MatrixCrosspoint> crosspoints, CancellationToken cancellationToken) =>
        TspAsync(ExclusiveCloseCommand(crosspoints), cancellationToken);

    /// <summary>Sends one TSP statement, then reads <c>errorqueue.count</c> and raises the first queued error, if any.</summary>
    public async Task TspAsync(string statement, CancellationToken cancellationToken)
    {
        await Session.WriteAsync(statement, cancellationToken).ConfigureAwait(false);
        var reply = await Session.QueryAsync(ErrorCountQuery, cancellationToken).ConfigureAwait(false);
        var count = double.TryParse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n)
            ? n
            : throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to errorqueue.count is not a number");
        if (count < 1)
        {
            return;
        }

        var errors = new List<ScpiError>();
        for (var i = 0; i < count && i < 32; i++)
        {
            var fields = (await Session.QueryAsync(NextErrorQuery, cancellationToken).ConfigureAwait(false)).Split('\t');
            var code = fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var c) ? (int)c : -300;
            errors.Add(new ScpiError(code, fields.Length > 1 ? fields[1] : string.Join(' ', fields)));
        }

        throw new ScpiErrorException(Resource, statement, errors[0], errors);
    }
}

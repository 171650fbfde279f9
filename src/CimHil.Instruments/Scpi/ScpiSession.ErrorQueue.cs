namespace CimHil.Instruments.Scpi;

/// <summary>The instrument's error queue: draining it, and probing it when a query is answered by silence.</summary>
public sealed partial class ScpiSession
{
    /// <summary>Reads <c>SYST:ERR?</c> until <c>0,"No error"</c>; returns the errors, oldest first.</summary>
    public async Task<IReadOnlyList<ScpiError>> DrainErrorsAsync(CancellationToken cancellationToken)
    {
        var errors = new List<ScpiError>();
        for (var i = 0; i < _options.MaxErrorsDrained; i++)
        {
            var error = await QueryParsedAsync(_options.ErrorQuery, ParseError, cancellationToken).ConfigureAwait(false);
            if (!error.IsError)
            {
                break;
            }

            errors.Add(error);
        }

        return errors;
    }

    /// <summary>Drains the error queue and throws <see cref="ScpiErrorException"/> naming <paramref name="command"/> if it was not empty.</summary>
    public async Task ThrowIfErrorsAsync(string command, CancellationToken cancellationToken)
    {
        var errors = await DrainErrorsAsync(cancellationToken).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            throw new ScpiErrorException(Resource, command, errors[0], errors);
        }
    }

    /// <summary>
    /// After a query was answered by silence: reads the error queue on a fresh link. Returns the error that explains the
    /// silence, or null when the queue is empty or the probe fails too (the instrument is slow or gone, not complaining:
    /// the caller reports the original timeout).
    /// </summary>
    private async Task<ScpiError?> ProbeErrorQueueAsync(InstrumentTimeoutException timeout, CancellationToken cancellationToken)
    {
        ScpiError error;
        try
        {
            await _transport.OpenAsync(cancellationToken).ConfigureAwait(false);
            await SendAsync(_options.ErrorQuery, cancellationToken).ConfigureAwait(false);
            error = ParseError(await ReadLineAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is InstrumentException or OperationCanceledException)
        {
            _logger.Debug("Error-queue probe on {Resource} after a silent query failed: {Error}", Resource, ex.Message);
            return null;
        }

        if (!error.IsError)
        {
            return null;
        }

        _logger.Debug("Silent query on {Resource} explained by {Code} {Message} (after {Timeout})", Resource, error.Code, error.Message, timeout.Message);
        return error;
    }

    private ScpiError ParseError(string reply)
    {
        try
        {
            return ScpiError.Parse(reply);
        }
        catch (FormatException ex)
        {
            throw new InstrumentProtocolException(Resource, $"{Resource}: {ex.Message}", ex);
        }
    }

    private bool IsErrorQuery(string query) =>
        query.StartsWith(_options.ErrorQuery, StringComparison.OrdinalIgnoreCase)
        || query.StartsWith("SYST:ERR", StringComparison.OrdinalIgnoreCase) || query.StartsWith("SYSTEM:ERROR", StringComparison.OrdinalIgnoreCase);
}

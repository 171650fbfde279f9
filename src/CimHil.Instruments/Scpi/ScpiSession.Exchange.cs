using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Globalization;
using System.Text;
using CimHil.Instruments.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CimHil.Instruments.Scpi;

/// <summary>The exchanges on the wire: the lock, the pipelines, reconnects, and how a failure becomes an exception the caller can act on.</summary>
public sealed partial class ScpiSession
{
    /// <summary>
    /// One exchange under the session lock and through a pipeline. <paramref name="exchange"/> is a static delegate given
    /// the session, the command and <paramref name="arg"/>, and the pipeline gets them as its state: a closure here cost
    /// a closure and a delegate allocation per query (issue 18's benchmark: the session's share of a loopback round trip).
    /// </summary>
    private async Task<T> RunAsync<T, TArg>(
        string command,
        TArg arg,
        bool idempotent,
        Func<ScpiSession, string, TArg, CancellationToken, Task<(T Value, int BytesOut, int BytesIn)>> exchange,
        CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        _mayHaveSent = false;
        List<ScpiError>? errors = null;
        try
        {
            // The pipeline gets the session, command and exchange as its state and a pooled context that says whether
            // the retry may repeat it; AttemptAsync returns failures as outcomes, so Polly needs no bridging frame.
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(InstrumentPipelines.IdempotentKey, idempotent);
            Outcome<T> outcome;
            try
            {
                outcome = await _pipelines.Pipeline.ExecuteOutcomeAsync(
                    static (attempt, state) => state.Session.AttemptAsync(state.Command, state.Arg, state.Exchange, attempt.CancellationToken),
                    context,
                    (Session: this, Command: command, Arg: arg, Exchange: exchange)).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }

            outcome.ThrowIfException();
            return outcome.Result!;
        }
        catch (PendingErrorsException pending)
        {
            errors = [pending.First];
        }
        catch (InstrumentTimeoutException ex)
        {
            // Name the command, not just the transport read that ran out of time.
            var timeout = new InstrumentTimeoutException(Resource, $"'{command}' ({ex.Operation})", ex.Timeout, ex);
            throw idempotent || !_mayHaveSent ? timeout : new UncertainOutcomeException(Resource, command, timeout);
        }
        catch (TimeoutRejectedException ex)
        {
            var timeout = new InstrumentTimeoutException(Resource, $"'{command}'", _pipelines.OperationTimeout, ex);
            throw idempotent || !_mayHaveSent ? timeout : new UncertainOutcomeException(Resource, command, timeout);
        }
        catch (BrokenCircuitException ex)
        {
            throw new InstrumentUnavailableException(Resource, ex.RetryAfter, ex);
        }
        catch (InstrumentIOException ex) when (!idempotent && _mayHaveSent)
        {
            throw new UncertainOutcomeException(Resource, command, ex);
        }
        finally
        {
            if (errors is null)
            {
                _lock.Release();
            }
        }

        // The command was rejected (certain: the instrument reported it); drain the rest of the queue, then raise.
        try
        {
            for (var i = 1; i < _options.MaxErrorsDrained; i++)
            {
                var next = ParseError(await ExchangeUnlockedAsync(_options.ErrorQuery, cancellationToken).ConfigureAwait(false));
                if (!next.IsError)
                {
                    break;
                }

                errors.Add(next);
            }
        }
        finally
        {
            _lock.Release();
        }

        throw new ScpiErrorException(Resource, command, errors[0], errors);
    }

    /// <summary>
    /// One attempt inside the pipeline: re-opens a dropped link first, counts and logs the exchange, marks the link for
    /// re-opening on failure. Every failure comes back as an outcome, never thrown: Polly's
    /// <c>ExecuteOutcomeAsync</c> requires it, and it spares the wrapping frame <c>ExecuteAsync</c> adds to catch them.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome<T>> AttemptAsync<T, TArg>(
        string command,
        TArg arg,
        Func<ScpiSession, string, TArg, CancellationToken, Task<(T Value, int BytesOut, int BytesIn)>> exchange,
        CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            if (_needsReopen || !_transport.IsOpen)
            {
                // A dropped or desynchronised link: reconnect so no stale reply is taken for this one.
                await _transport.OpenAsync(cancellationToken).ConfigureAwait(false);
                _needsReopen = false;
            }

            _mayHaveSent = true;
            var (value, bytesOut, bytesIn) = await exchange(this, command, arg, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _exchanges);
            if (_logger.IsEnabled(Serilog.Events.LogEventLevel.Verbose))
            {
                // Guarded: five properties take Serilog's params overload, an array and four boxes per query even when disabled.
                _logger.Verbose(
                    "SCPI {Command} on {Resource}: {BytesOut} B out, {BytesIn} B in, {ElapsedMs} ms",
                    command, Resource, bytesOut, bytesIn, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            return Outcome.FromResult(value);
        }
        catch (PendingErrorsException pending)
        {
            // The instrument answered (with an error): the link is in step, nothing to re-open.
            return Outcome.FromException<T>(pending);
        }
        catch (Exception ex)
        {
            _needsReopen = true;
            _logger.Debug(
                "SCPI {Command} on {Resource} failed after {ElapsedMs} ms: {Error}",
                command, Resource, Stopwatch.GetElapsedTime(start).TotalMilliseconds, ex.Message);
            return Outcome.FromException<T>(ex);
        }
    }

    private async Task<string> ExchangeUnlockedAsync(string query, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(InstrumentPipelines.IdempotentKey, true);
        try
        {
            return await _pipelines.Pipeline.ExecuteAsync(
                async attempt =>
                {
                    var t = attempt.CancellationToken;
                    if (_needsReopen || !_transport.IsOpen)
                    {
                        await _transport.OpenAsync(t).ConfigureAwait(false);
                        _needsReopen = false;
                    }

                    try
                    {
                        return (await QueryCoreAsync(query, t).ConfigureAwait(false)).Value;
                    }
                    catch
                    {
                        _needsReopen = true;
                        throw;
                    }
                },
                context).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<(string Value, int BytesOut, int BytesIn)> QueryCoreAsync(string query, CancellationToken cancellationToken)
    {
        // Encoded and read inline rather than through SendAsync/ReadLineAsync: two fewer async frames to box when the
        // reply is not there yet, which on a loopback query is every time.
        var message = Encode(query);
        await _transport.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        try
        {
            var line = await _transport.ReadUntilAsync(_options.Terminator, _options.MaxReplyBytes, cancellationToken).ConfigureAwait(false);
            return (DecodeLine(line), message.Length, line.Length + 1);
        }
        catch (InstrumentTimeoutException timeout) when (_options.ProbeErrorsOnSilentQuery && !IsErrorQuery(query))
        {
            await ThrowIfProbeFindsErrorAsync(timeout, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<(byte[] Value, int BytesOut, int BytesIn)> QueryBlockCoreAsync(string query, CancellationToken cancellationToken)
    {
        var sent = await SendAsync(query, cancellationToken).ConfigureAwait(false);
        byte[] head;
        try
        {
            head = await _transport.ReadExactAsync(2, cancellationToken).ConfigureAwait(false);
        }
        catch (InstrumentTimeoutException timeout) when (_options.ProbeErrorsOnSilentQuery)
        {
            await ThrowIfProbeFindsErrorAsync(timeout, cancellationToken).ConfigureAwait(false);
            throw;
        }

        try
        {
            if (head[0] != (byte)'#')
            {
                throw new BinaryBlockFormatException($"reply to {query} is not a block: starts with 0x{head[0]:X2}");
            }

            var digits = BinaryBlock.DigitCount(head[1]);
            var lengthField = await _transport.ReadExactAsync(digits, cancellationToken).ConfigureAwait(false);
            var length = BinaryBlock.Length(lengthField);
            var payload = await _transport.ReadExactAsync(length, cancellationToken).ConfigureAwait(false);
            var rest = await _transport.ReadUntilAsync(_options.Terminator, 2, cancellationToken).ConfigureAwait(false);
            if (rest.Length > 0 && !(rest.Length == 1 && rest[0] == (byte)'\r'))
            {
                throw new BinaryBlockFormatException($"{rest.Length} unexpected bytes follow the {length}-byte block");
            }

            return (payload, sent, 2 + digits + length + rest.Length + 1);
        }
        catch (BinaryBlockFormatException ex)
        {
            throw new InstrumentProtocolException(Resource, $"{Resource}: malformed block in reply to '{query}': {ex.Message}", ex);
        }
    }

    /// <summary>Command, *OPC? and SYST:ERR? as one message sequence; a non-zero error aborts with the queue's first entry.</summary>
    private async Task<(int Value, int BytesOut, int BytesIn)> CommandWithCompletionAsync(string command, CancellationToken cancellationToken)
    {
        var t = (char)(_options.WriteTerminator ?? _options.Terminator);
        var sent = await SendAsync($"{command}{t}*OPC?{t}{_options.ErrorQuery}", cancellationToken).ConfigureAwait(false);
        var opc = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (opc.Trim() != "1")
        {
            throw new InstrumentProtocolException(Resource, $"{Resource}: *OPC? after '{command}' answered '{opc}', expected 1");
        }

        var errorReply = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        var error = ParseError(errorReply);
        if (error.IsError)
        {
            throw new PendingErrorsException(error);
        }

        return (0, sent, opc.Length + errorReply.Length + 2);
    }

    private async Task<int> SendAsync(string message, CancellationToken cancellationToken)
    {
        var bytes = Encode(message);
        await _transport.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes.Length;
    }

    /// <summary>The message in ASCII with the terminator appended.</summary>
    private byte[] Encode(string message)
    {
        var bytes = new byte[Encoding.ASCII.GetByteCount(message) + 1];
        Encoding.ASCII.GetBytes(message, bytes);
        bytes[^1] = _options.WriteTerminator ?? _options.Terminator;
        return bytes;
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken) =>
        DecodeLine(await _transport.ReadUntilAsync(_options.Terminator, _options.MaxReplyBytes, cancellationToken).ConfigureAwait(false));

    /// <summary>A reply line without its terminator (already removed) and without a trailing CR.</summary>
    private static string DecodeLine(byte[] line)
    {
        var length = line.Length > 0 && line[^1] == (byte)'\r' ? line.Length - 1 : line.Length;
        return Encoding.ASCII.GetString(line, 0, length);
    }

    private double ParseDouble(string reply, string query)
    {
        if (!double.TryParse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to '{query}' is not a number");
        }

        return value;
    }
}

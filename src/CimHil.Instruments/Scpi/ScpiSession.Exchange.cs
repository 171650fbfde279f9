using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using CimHil.Instruments.Resilience;

namespace CimHil.Instruments.Scpi;

/// <summary>The exchanges on the wire: the lock, retries, the breaker, the deadline, reconnects, and how a failure becomes an exception the caller can act on.</summary>
public sealed partial class ScpiSession
{
    /// <summary>
    /// One exchange under the session lock, with its resilience — retry (idempotent exchanges only) → circuit breaker →
    /// deadline on each attempt — in this one async frame, which awaits the transport's calls directly. Issue 18's
    /// benchmark: through Polly every strategy and the attempt were frames of their own, boxed and resumed on every
    /// loopback query because the reply is never there when the read is issued (docs/instruments.md "Session overhead").
    /// <paramref name="result"/> is a static delegate that turns the reply into the caller's value inside the attempt,
    /// so a reply that does not parse is a failed attempt (retried when idempotent).
    /// </summary>
    private async Task<T> ExchangeAsync<T, TArg>(
        ExchangeKind kind,
        string command,
        TArg arg,
        bool idempotent,
        Func<ScpiSession, string, TArg, ExchangeReply, T> result,
        bool lockHeld,
        CancellationToken cancellationToken)
    {
        if (!lockHeld)
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            _mayHaveSent = false;
            ScpiError? rejected = null;
            var backoff = 0.0;
            for (var attempt = 0; ; attempt++)
            {
                if (!_resilience.Breaker.TryEnter(out var retryAfter, out var cause))
                {
                    throw new InstrumentUnavailableException(Resource, retryAfter, cause ?? new InstrumentIOException(Resource, $"{Resource}: the circuit breaker is open"));
                }

                var start = Stopwatch.GetTimestamp();
                var token = _deadline.Start(cancellationToken);
                var awaitingReply = false;
                Exception failure;
                try
                {
                    if (_needsReopen || !_transport.IsOpen)
                    {
                        // A dropped or desynchronised link: reconnect so no stale reply is taken for this one.
                        await _transport.OpenAsync(token).ConfigureAwait(false);
                        _needsReopen = false;
                    }

                    _mayHaveSent = true;
                    var message = EncodeMessage(kind, command);
                    await _transport.WriteAsync(message, token).ConfigureAwait(false);
                    ExchangeReply reply = default;
                    var bytesIn = 0;
                    switch (kind)
                    {
                        case ExchangeKind.Line:
                        {
                            awaitingReply = true;
                            var line = await _transport.ReadUntilAsync(_options.Terminator, _options.MaxReplyBytes, token).ConfigureAwait(false);
                            awaitingReply = false;
                            reply = new ExchangeReply(DecodeLine(line), null);
                            bytesIn = line.Length + 1;
                            break;
                        }

                        case ExchangeKind.Block:
                        {
                            awaitingReply = true;
                            var head = await _transport.ReadExactAsync(2, token).ConfigureAwait(false);
                            awaitingReply = false;
                            if (head[0] != (byte)'#')
                            {
                                throw new BinaryBlockFormatException($"reply to {command} is not a block: starts with 0x{head[0]:X2}");
                            }

                            var digits = BinaryBlock.DigitCount(head[1]);
                            var length = BinaryBlock.Length(await _transport.ReadExactAsync(digits, token).ConfigureAwait(false));
                            var payload = await _transport.ReadExactAsync(length, token).ConfigureAwait(false);
                            var rest = await _transport.ReadUntilAsync(_options.Terminator, 2, token).ConfigureAwait(false);
                            if (rest.Length > 0 && !(rest.Length == 1 && rest[0] == (byte)'\r'))
                            {
                                throw new BinaryBlockFormatException($"{rest.Length} unexpected bytes follow the {length}-byte block");
                            }

                            reply = new ExchangeReply(null, payload);
                            bytesIn = 2 + digits + length + rest.Length + 1;
                            break;
                        }

                        case ExchangeKind.CommandWithCompletion:
                        {
                            var opc = DecodeLine(await _transport.ReadUntilAsync(_options.Terminator, _options.MaxReplyBytes, token).ConfigureAwait(false));
                            if (opc.Trim() != "1")
                            {
                                throw new InstrumentProtocolException(Resource, $"{Resource}: *OPC? after '{command}' answered '{opc}', expected 1");
                            }

                            var errorReply = DecodeLine(await _transport.ReadUntilAsync(_options.Terminator, _options.MaxReplyBytes, token).ConfigureAwait(false));
                            var error = ParseError(errorReply);
                            if (error.IsError)
                            {
                                // The instrument answered (with an error): the link is in step; neither a success nor
                                // a failure of the link for the breaker, and never retried.
                                rejected = error;
                            }

                            bytesIn = opc.Length + errorReply.Length + 2;
                            break;
                        }
                    }

                    if (rejected is null)
                    {
                        var value = result(this, command, arg, reply);
                        _deadline.Stop();
                        _resilience.Breaker.OnSuccess();
                        Interlocked.Increment(ref _exchanges);
                        if (_logger.IsEnabled(Serilog.Events.LogEventLevel.Verbose))
                        {
                            // Guarded: five properties take Serilog's params overload, an array and four boxes per query even when disabled.
                            _logger.Verbose(
                                "SCPI {Command} on {Resource}: {BytesOut} B out, {BytesIn} B in, {ElapsedMs} ms",
                                command, Resource, message.Length, bytesIn, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                        }

                        return value;
                    }

                    _deadline.Stop();
                    break;
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                // The failure path, outside the catch block so that it can await (the error-queue probe, the back-off).
                var deadlineExpired = false;
                try
                {
                    if (failure is OperationCanceledException && _deadline.HasExpired(cancellationToken))
                    {
                        deadlineExpired = true;
                        failure = new InstrumentTimeoutException(Resource, $"'{command}'", _resilience.OperationTimeout, failure);
                    }
                    else if (failure is BinaryBlockFormatException malformed)
                    {
                        failure = new InstrumentProtocolException(Resource, $"{Resource}: malformed block in reply to '{command}': {malformed.Message}", malformed);
                    }
                    else if (awaitingReply && failure is InstrumentTimeoutException silent && ShouldProbeErrorQueue(kind, command))
                    {
                        // A SCPI instrument stays silent after an erroneous query: an error in the queue explains it.
                        rejected = await ProbeErrorQueueAsync(silent, token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _deadline.Stop();
                }

                if (rejected is not null)
                {
                    break;
                }

                _needsReopen = true;
                _logger.Debug(
                    "SCPI {Command} on {Resource} failed after {ElapsedMs} ms: {Error}",
                    command, Resource, Stopwatch.GetElapsedTime(start).TotalMilliseconds, failure.Message);
                var transient = InstrumentResilience.IsTransient(failure);
                if (transient)
                {
                    _resilience.Breaker.OnFailure(failure);
                }

                if (!transient || !idempotent || attempt >= _resilience.Retries || cancellationToken.IsCancellationRequested)
                {
                    var final = ForCaller(failure, command, idempotent, deadlineExpired);
                    if (ReferenceEquals(final, failure))
                    {
                        ExceptionDispatchInfo.Throw(failure);
                    }

                    throw final;
                }

                var delay = _resilience.RetryDelay(attempt, ref backoff);
                _logger.Debug("Retrying {Resource} (attempt {Attempt}) in {DelayMs} ms after {Error}", Resource, attempt + 1, delay.TotalMilliseconds, failure.Message);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _resilience.Clock, cancellationToken).ConfigureAwait(false);
                }
            }

            // The command was rejected (certain: the instrument reported it); drain the rest of the queue, then raise.
            List<ScpiError> errors = [rejected!];
            for (var i = 1; i < _options.MaxErrorsDrained; i++)
            {
                var next = ParseError(await ExchangeAsync(ExchangeKind.Line, _options.ErrorQuery, 0, idempotent: true, LineOf, lockHeld: true, cancellationToken).ConfigureAwait(false));
                if (!next.IsError)
                {
                    break;
                }

                errors.Add(next);
            }

            throw new ScpiErrorException(Resource, command, errors[0], errors);
        }
        finally
        {
            if (!lockHeld)
            {
                _lock.Release();
            }
        }
    }

    /// <summary>The reply line, as the caller's value.</summary>
    private static string LineOf(ScpiSession session, string command, int unused, ExchangeReply reply) => reply.Line!;

    /// <summary>
    /// What the caller sees of a failure that is not retried: a timeout names the command; a non-idempotent command that
    /// may have left gets <see cref="UncertainOutcomeException"/> (read back, never re-send blind); anything else as it was.
    /// </summary>
    private Exception ForCaller(Exception failure, string command, bool idempotent, bool deadlineExpired)
    {
        switch (failure)
        {
            case InstrumentTimeoutException timedOut:
                // Name the command, not just the transport read that ran out of time (the deadline's already does).
                var timeout = deadlineExpired ? timedOut : new InstrumentTimeoutException(Resource, $"'{command}' ({timedOut.Operation})", timedOut.Timeout, timedOut);
                return idempotent || !_mayHaveSent ? timeout : new UncertainOutcomeException(Resource, command, timeout);
            case InstrumentIOException io when !idempotent && _mayHaveSent:
                return new UncertainOutcomeException(Resource, command, io);
            default:
                return failure;
        }
    }

    private bool ShouldProbeErrorQueue(ExchangeKind kind, string command) =>
        _options.ProbeErrorsOnSilentQuery && (kind == ExchangeKind.Block || !IsErrorQuery(command));

    /// <summary>
    /// The message of an exchange in ASCII with its terminator, in the session's send buffer (reused: the lock serialises
    /// exchanges, and a transport is done with the bytes when its write completes). A command with completion is sent
    /// with <c>*OPC?</c> and the error query in the same message, one round trip.
    /// </summary>
    private ReadOnlyMemory<byte> EncodeMessage(ExchangeKind kind, string command)
    {
        var t = _options.WriteTerminator ?? _options.Terminator;
        var completion = kind == ExchangeKind.CommandWithCompletion;
        var length = command.Length + 1 + (completion ? OperationCompleteQuery.Length + _options.ErrorQuery.Length + 2 : 0);
        if (_sendBuffer.Length < length)
        {
            _sendBuffer = new byte[Math.Max(length, 2 * _sendBuffer.Length)];
        }

        var n = Encoding.ASCII.GetBytes(command, _sendBuffer);
        _sendBuffer[n++] = t;
        if (completion)
        {
            n += Encoding.ASCII.GetBytes(OperationCompleteQuery, _sendBuffer.AsSpan(n));
            _sendBuffer[n++] = t;
            n += Encoding.ASCII.GetBytes(_options.ErrorQuery, _sendBuffer.AsSpan(n));
            _sendBuffer[n++] = t;
        }

        return _sendBuffer.AsMemory(0, n);
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

    /// <summary>A reply parsed by the caller's parser; a reply it refuses is a garbled reply (a failed attempt).</summary>
    private T ParseReply<T>(string query, Func<string, T> parse, string reply)
    {
        try
        {
            return parse(reply);
        }
        catch (FormatException ex)
        {
            throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to '{query}' does not parse: {ex.Message}", ex);
        }
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

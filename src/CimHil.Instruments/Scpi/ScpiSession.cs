using System.Diagnostics;
using System.Globalization;
using System.Text;
using CimHil.Core.Config;
using CimHil.Instruments.Resilience;
using CimHil.Instruments.Transports;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Serilog;

namespace CimHil.Instruments.Scpi;

/// <summary>Behaviour switches of a <see cref="ScpiSession"/>; the defaults suit SCPI instruments and the CimHil board.</summary>
public sealed record ScpiSessionOptions
{
    /// <summary>Message terminator appended to every command and expected after every reply (IEEE 488.2 section 7.5: LF).</summary>
    public byte Terminator { get; init; } = (byte)'\n';

    /// <summary>Longest ASCII reply accepted.</summary>
    public int MaxReplyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// When a query gets no reply, read SYST:ERR? on a fresh link: a SCPI instrument stays silent after an erroneous
    /// query (SCPI-99 vol. 1 section 6.2.4), so an error there explains the silence and is raised as <see cref="ScpiErrorException"/>.
    /// </summary>
    public bool ProbeErrorsOnSilentQuery { get; init; } = true;

    /// <summary>
    /// The query that reads the next queued error as <c>code,"message"</c>: SCPI's <c>SYST:ERR?</c>, or an instrument's own
    /// equivalent (Keysight B1500 FLEX: <c>ERRX?</c>, which answers <c>0,"No Error."</c> when the queue is empty).
    /// </summary>
    public string ErrorQuery { get; init; } = "SYST:ERR?";

    /// <summary>Most errors drained by one <see cref="ScpiSession.DrainErrorsAsync"/> (the queue holds at least 2 per SCPI-99; ours 32).</summary>
    public int MaxErrorsDrained { get; init; } = 64;

    public static ScpiSessionOptions Default { get; } = new();
}

/// <summary>
/// A SCPI / IEEE 488.2 conversation with one instrument over any <see cref="ITransport"/>. One lock per session, so
/// concurrent callers never interleave a query and its reply; every exchange goes through the session's Polly pipelines
/// (idempotent queries retried with backoff after a reconnect, non-idempotent commands never).
/// </summary>
public sealed class ScpiSession : IAsyncDisposable
{

    private readonly ITransport _transport;
    private readonly InstrumentPipelines _pipelines;
    private readonly ScpiSessionOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _needsReopen;
    private long _exchanges;

    /// <summary>A session over an existing transport (opened on first use); <paramref name="timeProvider"/> clocks the pipelines, not the transport.</summary>
    public ScpiSession(ITransport transport, TransportConfig config, ILogger logger, ScpiSessionOptions? options = null, TimeProvider? timeProvider = null)
        : this(transport, InstrumentPipelines.Build(config, transport.Resource, logger, timeProvider), logger, options)
    {
        // The transport bounds each read/write by the configured timeout; the pipeline bounds a whole exchange.
        transport.Timeout = TimeSpan.FromSeconds(config.TimeoutSeconds);
    }

    /// <summary>A session with pipelines built elsewhere (tests, shared breakers).</summary>
    public ScpiSession(ITransport transport, InstrumentPipelines pipelines, ILogger logger, ScpiSessionOptions? options = null)
    {
        _transport = transport;
        _pipelines = pipelines;
        _logger = logger;
        _options = options ?? ScpiSessionOptions.Default;
    }

    /// <summary>The resource string of the instrument.</summary>
    public string Resource => _transport.Resource;

    /// <summary>The link underneath (for diagnostics; do not use it while the session is in use).</summary>
    public ITransport Transport => _transport;

    /// <summary>Exchanges completed on the wire (each attempt of a retried query counts).</summary>
    public long Exchanges => Interlocked.Read(ref _exchanges);

    /// <summary>Opens the transport for a resource string (or alias-resolved string) and wraps it in a session.</summary>
    public static async Task<ScpiSession> OpenAsync(
        string resource,
        TransportOptions options,
        ILogger logger,
        CancellationToken cancellationToken,
        ITransportFactory? factory = null,
        ScpiSessionOptions? sessionOptions = null)
    {
        var transport = await (factory ?? TransportFactory.Instance).OpenAsync(resource, options, logger, cancellationToken).ConfigureAwait(false);
        return new ScpiSession(transport, options.Config, logger, sessionOptions ?? new ScpiSessionOptions { Terminator = options.Terminator }, options.TimeProvider);
    }

    /// <summary>
    /// Sends a command that has no reply. Not retried (a failure after sending raises <see cref="UncertainOutcomeException"/>);
    /// for state-changing commands prefer <see cref="ExecuteNonIdempotentAsync"/>, which also confirms completion and errors.
    /// </summary>
    public Task WriteAsync(string command, CancellationToken cancellationToken) =>
        RunAsync(command, idempotent: false, async t =>
        {
            var sent = await SendAsync(command, t).ConfigureAwait(false);
            return (0, sent, 0);
        }, cancellationToken);

    /// <summary>An idempotent query (reads, identity, settings): retried after a reconnect on I/O failures and timeouts.</summary>
    public Task<string> QueryAsync(string query, CancellationToken cancellationToken) =>
        RunAsync(query, idempotent: true, t => QueryCoreAsync(query, t), cancellationToken);

    /// <summary>An idempotent query whose reply is a definite-length block; returns the payload.</summary>
    public Task<byte[]> QueryBlockAsync(string query, CancellationToken cancellationToken) =>
        RunAsync(query, idempotent: true, t => QueryBlockCoreAsync(query, t), cancellationToken);

    /// <summary>An idempotent query with a single numeric reply.</summary>
    public Task<double> QueryDoubleAsync(string query, CancellationToken cancellationToken) =>
        QueryParsedAsync(query, reply => ParseDouble(reply, query), cancellationToken);

    /// <summary>An idempotent query whose reply is parsed inside the retry scope: a garbled reply counts as a failed attempt.</summary>
    public Task<T> QueryParsedAsync<T>(string query, Func<string, T> parse, CancellationToken cancellationToken) =>
        RunAsync(
            query,
            idempotent: true,
            async t =>
            {
                var (reply, bytesOut, bytesIn) = await QueryCoreAsync(query, t).ConfigureAwait(false);
                try
                {
                    return (parse(reply), bytesOut, bytesIn);
                }
                catch (FormatException ex)
                {
                    throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to '{query}' does not parse: {ex.Message}", ex);
                }
            },
            cancellationToken);

    /// <summary>
    /// A command that is safe to repeat (a setting): sends it with <c>*OPC?</c> and <c>SYST:ERR?</c> in one round trip,
    /// retried on I/O failures; throws <see cref="ScpiErrorException"/> if the instrument rejected it.
    /// </summary>
    public async Task ExecuteAsync(string command, CancellationToken cancellationToken)
    {
        await RunAsync(command, idempotent: true, t => CommandWithCompletionAsync(command, t), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A command that must never be applied twice (a programming pulse): command, <c>*OPC?</c> and <c>SYST:ERR?</c> in one
    /// round trip, never retried. If the link fails after the command may have left, throws <see cref="UncertainOutcomeException"/>:
    /// read the cell back and decide. Failures before anything was sent are raised as they are (nothing was applied).
    /// </summary>
    public async Task ExecuteNonIdempotentAsync(string command, CancellationToken cancellationToken)
    {
        await RunAsync(command, idempotent: false, t => CommandWithCompletionAsync(command, t), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A query with a side effect (e.g. <c>CELL:FORM?</c> forms a cell and returns the current): never retried.</summary>
    public Task<string> QueryNonIdempotentAsync(string query, CancellationToken cancellationToken) =>
        RunAsync(query, idempotent: false, t => QueryCoreAsync(query, t), cancellationToken);

    /// <summary><c>*IDN?</c> (IEEE 488.2 section 10.14).</summary>
    public async Task<InstrumentIdentity> IdentifyAsync(CancellationToken cancellationToken) =>
        InstrumentIdentity.Parse(await QueryAsync("*IDN?", cancellationToken).ConfigureAwait(false));

    /// <summary><c>*RST</c> (section 10.32), then waits for completion.</summary>
    public Task ResetAsync(CancellationToken cancellationToken) => ExecuteAsync("*RST", cancellationToken);

    /// <summary><c>*CLS</c> (section 10.3): clears the status and the error queue.</summary>
    public Task ClearStatusAsync(CancellationToken cancellationToken) => WriteAsync("*CLS", cancellationToken);

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

    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }

    private async Task<T> RunAsync<T>(string command, bool idempotent, Func<CancellationToken, Task<(T Value, int BytesOut, int BytesIn)>> exchange, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var mayHaveSent = false;
        List<ScpiError>? errors = null;
        try
        {
            var pipeline = idempotent ? _pipelines.Idempotent : _pipelines.NonIdempotent;
            return await pipeline.ExecuteAsync(
                async t =>
                {
                    var start = Stopwatch.GetTimestamp();
                    try
                    {
                        if (_needsReopen || !_transport.IsOpen)
                        {
                            // A dropped or desynchronised link: reconnect so no stale reply is taken for this one.
                            await _transport.OpenAsync(t).ConfigureAwait(false);
                            _needsReopen = false;
                        }

                        mayHaveSent = true;
                        var (value, bytesOut, bytesIn) = await exchange(t).ConfigureAwait(false);
                        Interlocked.Increment(ref _exchanges);
                        _logger.Verbose(
                            "SCPI {Command} on {Resource}: {BytesOut} B out, {BytesIn} B in, {ElapsedMs} ms",
                            command, Resource, bytesOut, bytesIn, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                        return value;
                    }
                    catch (Exception ex) when (ex is not PendingErrorsException)
                    {
                        _needsReopen = true;
                        _logger.Debug(
                            "SCPI {Command} on {Resource} failed after {ElapsedMs} ms: {Error}",
                            command, Resource, Stopwatch.GetElapsedTime(start).TotalMilliseconds, ex.Message);
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (PendingErrorsException pending)
        {
            errors = [pending.First];
        }
        catch (InstrumentTimeoutException ex)
        {
            // Name the command, not just the transport read that ran out of time.
            var timeout = new InstrumentTimeoutException(Resource, $"'{command}' ({ex.Operation})", ex.Timeout, ex);
            throw idempotent || !mayHaveSent ? timeout : new UncertainOutcomeException(Resource, command, timeout);
        }
        catch (TimeoutRejectedException ex)
        {
            var timeout = new InstrumentTimeoutException(Resource, $"'{command}'", _pipelines.OperationTimeout, ex);
            throw idempotent || !mayHaveSent ? timeout : new UncertainOutcomeException(Resource, command, timeout);
        }
        catch (BrokenCircuitException ex)
        {
            throw new InstrumentUnavailableException(Resource, ex.RetryAfter, ex);
        }
        catch (InstrumentIOException ex) when (!idempotent && mayHaveSent)
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

    private async Task<string> ExchangeUnlockedAsync(string query, CancellationToken cancellationToken) =>
        await _pipelines.Idempotent.ExecuteAsync(
            async t =>
            {
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
            cancellationToken).ConfigureAwait(false);

    private async Task<(string Value, int BytesOut, int BytesIn)> QueryCoreAsync(string query, CancellationToken cancellationToken)
    {
        var sent = await SendAsync(query, cancellationToken).ConfigureAwait(false);
        try
        {
            var reply = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            return (reply, sent, Encoding.ASCII.GetByteCount(reply) + 1);
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
        var t = (char)_options.Terminator;
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

    private async Task ThrowIfProbeFindsErrorAsync(InstrumentTimeoutException timeout, CancellationToken cancellationToken)
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
            // The probe failed too: the instrument is slow or gone, not complaining; report the original timeout.
            _logger.Debug("Error-queue probe on {Resource} after a silent query failed: {Error}", Resource, ex.Message);
            return;
        }

        if (error.IsError)
        {
            _logger.Debug("Silent query on {Resource} explained by {Code} {Message} (after {Timeout})", Resource, error.Code, error.Message, timeout.Message);
            throw new PendingErrorsException(error);
        }
    }

    private async Task<int> SendAsync(string message, CancellationToken cancellationToken)
    {
        var bytes = new byte[Encoding.ASCII.GetByteCount(message) + 1];
        Encoding.ASCII.GetBytes(message, bytes);
        bytes[^1] = _options.Terminator;
        await _transport.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes.Length;
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = await _transport.ReadUntilAsync(_options.Terminator, _options.MaxReplyBytes, cancellationToken).ConfigureAwait(false);
        var length = line.Length > 0 && line[^1] == (byte)'\r' ? line.Length - 1 : line.Length;
        return Encoding.ASCII.GetString(line, 0, length);
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

    private double ParseDouble(string reply, string query)
    {
        if (!double.TryParse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to '{query}' is not a number");
        }

        return value;
    }

    private bool IsErrorQuery(string query) =>
        query.StartsWith(_options.ErrorQuery, StringComparison.OrdinalIgnoreCase)
        || query.StartsWith("SYST:ERR", StringComparison.OrdinalIgnoreCase) || query.StartsWith("SYSTEM:ERROR", StringComparison.OrdinalIgnoreCase);

    /// <summary>Carries the first queued error out of the pipeline (not retried, not counted by the breaker).</summary>
    private sealed class PendingErrorsException(ScpiError first) : Exception($"instrument reported {first}")
    {
        public ScpiError First { get; } = first;
    }
}

using CimHil.Core.Config;
using CimHil.Instruments.Resilience;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Instruments.Scpi;

/// <summary>
/// A SCPI / IEEE 488.2 conversation with one instrument over any <see cref="ITransport"/>. One lock per session, so
/// concurrent callers never interleave a query and its reply; every exchange runs under the session's
/// <see cref="InstrumentResilience"/> (idempotent queries retried with back-off after a reconnect, non-idempotent
/// commands never; a circuit breaker; a deadline on each attempt).
/// </summary>
public sealed partial class ScpiSession : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly InstrumentResilience _resilience;
    private readonly ExchangeDeadline _deadline;
    private readonly ScpiSessionOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _needsReopen;

    /// <summary>Whether the exchange under way may have put bytes on the wire (read and written under <see cref="_lock"/>).</summary>
    private bool _mayHaveSent;
    private long _exchanges;

    /// <summary>The message under way, encoded (reused across exchanges, under <see cref="_lock"/>).</summary>
    private byte[] _sendBuffer = new byte[256];

    /// <summary>What a command with completion sends after the command (IEEE 488.2 section 10.19).</summary>
    private const string OperationCompleteQuery = "*OPC?";

    /// <summary>A session over an existing transport (opened on first use); <paramref name="timeProvider"/> clocks the resilience, not the transport.</summary>
    public ScpiSession(ITransport transport, TransportConfig config, ILogger logger, ScpiSessionOptions? options = null, TimeProvider? timeProvider = null)
        : this(transport, InstrumentResilience.Build(config, transport.Resource, logger, timeProvider), logger, options)
    {
        // The transport bounds each read/write by the configured timeout; the session's deadline bounds a whole attempt.
        transport.Timeout = TimeSpan.FromSeconds(config.TimeoutSeconds);
    }

    /// <summary>A session with its resilience built elsewhere (tests, a breaker shared by several sessions).</summary>
    public ScpiSession(ITransport transport, InstrumentResilience resilience, ILogger logger, ScpiSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resilience);
        _transport = transport;
        _resilience = resilience;
        _deadline = new ExchangeDeadline(resilience.OperationTimeout, resilience.Clock);
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
        ArgumentNullException.ThrowIfNull(options);
        var session = sessionOptions ?? new ScpiSessionOptions { Terminator = options.Terminator };
        if (VisaResourceParser.TryParse(resource, out var parsed, out _) && parsed is SerialResource)
        {
            // A serial line has no END signal: the termination is the family's (or the configured one), not always LF.
            session = session.OnSerialLine(options.Serial);
            options = options with { Terminator = session.Terminator };
        }

        var transport = await (factory ?? TransportFactory.Instance).OpenAsync(resource, options, logger, cancellationToken).ConfigureAwait(false);
        return new ScpiSession(transport, options.Config, logger, session, options.TimeProvider);
    }

    /// <summary>
    /// Sends a command that has no reply. Not retried (a failure after sending raises <see cref="UncertainOutcomeException"/>);
    /// for state-changing commands prefer <see cref="ExecuteNonIdempotentAsync"/>, which also confirms completion and errors.
    /// </summary>
    public Task WriteAsync(string command, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.Write, command, 0, idempotent: false, static (_, _, _, _) => 0, lockHeld: false, cancellationToken);

    /// <summary>An idempotent query (reads, identity, settings): retried after a reconnect on I/O failures and timeouts.</summary>
    public Task<string> QueryAsync(string query, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.Line, query, 0, idempotent: true, LineOf, lockHeld: false, cancellationToken);

    /// <summary>An idempotent query whose reply is a definite-length block; returns the payload.</summary>
    public Task<byte[]> QueryBlockAsync(string query, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.Block, query, 0, idempotent: true, static (_, _, _, reply) => reply.Block!, lockHeld: false, cancellationToken);

    /// <summary>An idempotent query with a single numeric reply.</summary>
    public Task<double> QueryDoubleAsync(string query, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.Line, query, 0, idempotent: true, static (session, q, _, reply) => session.ParseDouble(reply.Line!, q), lockHeld: false, cancellationToken);

    /// <summary>An idempotent query whose reply is parsed inside the retry scope: a garbled reply counts as a failed attempt.</summary>
    public Task<T> QueryParsedAsync<T>(string query, Func<string, T> parse, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.Line, query, parse, idempotent: true, static (session, q, p, reply) => session.ParseReply(q, p, reply.Line!), lockHeld: false, cancellationToken);

    /// <summary>
    /// A command that is safe to repeat (a setting): sends it with <c>*OPC?</c> and <c>SYST:ERR?</c> in one round trip,
    /// retried on I/O failures; throws <see cref="ScpiErrorException"/> if the instrument rejected it.
    /// </summary>
    public Task ExecuteAsync(string command, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.CommandWithCompletion, command, 0, idempotent: true, static (_, _, _, _) => 0, lockHeld: false, cancellationToken);

    /// <summary>
    /// A command that must never be applied twice (a programming pulse): command, <c>*OPC?</c> and <c>SYST:ERR?</c> in one
    /// round trip, never retried. If the link fails after the command may have left, throws <see cref="UncertainOutcomeException"/>:
    /// read the cell back and decide. Failures before anything was sent are raised as they are (nothing was applied).
    /// </summary>
    public Task ExecuteNonIdempotentAsync(string command, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.CommandWithCompletion, command, 0, idempotent: false, static (_, _, _, _) => 0, lockHeld: false, cancellationToken);

    /// <summary>A query with a side effect (e.g. <c>CELL:FORM?</c> forms a cell and returns the current): never retried.</summary>
    public Task<string> QueryNonIdempotentAsync(string query, CancellationToken cancellationToken) =>
        ExchangeAsync(ExchangeKind.Line, query, 0, idempotent: false, LineOf, lockHeld: false, cancellationToken);

    /// <summary>Sets a declared control (validated before anything is sent) as a setting: with *OPC? and the error query, retried.</summary>
    public Task SetAsync<T>(ScpiControl<T> control, T value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        return ExecuteAsync(control.Set(value), cancellationToken);
    }

    /// <summary>Reads a declared control back; a reply it does not parse is a failed attempt (retried).</summary>
    public Task<T> GetAsync<T>(ScpiControl<T> control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        return QueryParsedAsync(control.QueryText, control.Parse, cancellationToken);
    }

    /// <summary><c>*IDN?</c> (IEEE 488.2 section 10.14).</summary>
    public async Task<InstrumentIdentity> IdentifyAsync(CancellationToken cancellationToken) =>
        InstrumentIdentity.Parse(await QueryAsync("*IDN?", cancellationToken).ConfigureAwait(false));

    /// <summary><c>*RST</c> (section 10.32), then waits for completion.</summary>
    public Task ResetAsync(CancellationToken cancellationToken) => ExecuteAsync("*RST", cancellationToken);

    /// <summary><c>*CLS</c> (section 10.3): clears the status and the error queue.</summary>
    public Task ClearStatusAsync(CancellationToken cancellationToken) => WriteAsync("*CLS", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync().ConfigureAwait(false);
        _deadline.Dispose();
        _lock.Dispose();
    }
}

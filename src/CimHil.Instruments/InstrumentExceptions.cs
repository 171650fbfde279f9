namespace CimHil.Instruments;

/// <summary>Base of every instrument I/O error; <see cref="Resource"/> names the instrument.</summary>
public class InstrumentException : Exception
{
    public InstrumentException(string resource, string message, Exception? innerException = null)
        : base(message, innerException) => Resource = resource;

    public string Resource { get; }
}

/// <summary>The link failed (refused, dropped, I/O error, garbled reply): an idempotent query may be retried after a reconnect.</summary>
public class InstrumentIOException : InstrumentException
{
    public InstrumentIOException(string resource, string message, Exception? innerException = null)
        : base(resource, message, innerException)
    {
    }
}

/// <summary>No complete reply (or connection) within the configured time.</summary>
public sealed class InstrumentTimeoutException(string resource, string operation, TimeSpan timeout, Exception? innerException = null)
    : InstrumentIOException(resource, $"{resource}: {operation} timed out after {timeout.TotalSeconds:G3} s (transport.timeoutSeconds)", innerException)
{
    public string Operation { get; } = operation;

    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>The instrument answered something that does not follow the protocol (bad block header, non-numeric value, …).</summary>
public sealed class InstrumentProtocolException(string resource, string message, Exception? innerException = null)
    : InstrumentIOException(resource, message, innerException)
{
}

/// <summary>The circuit breaker is open: the instrument failed repeatedly and is not contacted until the break elapses.</summary>
public sealed class InstrumentUnavailableException(string resource, TimeSpan? retryAfter, Exception innerException)
    : InstrumentException(
        resource,
        $"{resource} failed repeatedly; the circuit breaker is open" + (retryAfter is { } r ? $" for another {r.TotalSeconds:G3} s" : string.Empty) + " (transport.circuitBreaker)",
        innerException)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// A non-idempotent command (a programming pulse) failed after its bytes may have reached the instrument:
/// it may or may not have been applied. The caller must read the cell back and decide; it is never retried blindly.
/// </summary>
public sealed class UncertainOutcomeException(string resource, string command, Exception innerException)
    : InstrumentException(resource, $"{resource}: the outcome of '{command}' is unknown ({innerException.Message}); read the state back before repeating it", innerException)
{
    public string Command { get; } = command;
}

/// <summary>
/// No transport on this machine can reach the resource (GPIB without a vendor VISA, for example): the message says which
/// transports were tried and what to install. An environment problem, not a failing instrument.
/// </summary>
public sealed class TransportUnavailableException(string resource, string message) : InstrumentException(resource, message);

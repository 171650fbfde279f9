namespace CimHil.Instruments.Scpi;

/// <summary>
/// The base of an instrument class: it owns one <see cref="ScpiSession"/> and speaks for the instrument in its own terms.
/// A new SCPI instrument derives from it, declares its controls (<see cref="ScpiControl"/>) and adds one method per operation.
/// </summary>
public abstract class ScpiInstrument(ScpiSession session)
{
    public ScpiSession Session { get; } = session ?? throw new ArgumentNullException(nameof(session));

    /// <summary>The resource string of the instrument (errors name it).</summary>
    public string Resource => Session.Resource;

    /// <summary><c>*IDN?</c>.</summary>
    public Task<InstrumentIdentity> IdentifyAsync(CancellationToken cancellationToken) => Session.IdentifyAsync(cancellationToken);
}

using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Instruments.Analyzer;

/// <summary>
/// A Keysight B1500A mainframe in its FLEX command set (B1500A programming guide), the subset CimHil uses: identify, list
/// the installed modules, disable every channel. Errors are read with FLEX's <c>ERRX?</c> (<c>0,"No Error."</c> when empty).
/// Its B1530A WGFMU is programmed through the instrument library instead (<see cref="Wgfmu.B1530A"/>).
/// </summary>
public sealed class B1500(ScpiSession session) : ScpiInstrument(session)
{
    /// <summary>FLEX error query, of the SCPI <c>code,"message"</c> form.</summary>
    public const string ErrorQuery = "ERRX?";

    /// <summary>FLEX: the installed modules, per slot.</summary>
    public const string ModulesQuery = "UNT?";

    /// <summary>FLEX: disable every channel (outputs off, relays open).</summary>
    public const string DisableAllCommand = "CL";

    /// <summary>Session options for FLEX: the error queue is read with <see cref="ErrorQuery"/>.</summary>
    public static ScpiSessionOptions SessionOptions { get; } = new() { ErrorQuery = ErrorQuery };

    /// <summary>Opens a session to a B1500A with <see cref="SessionOptions"/>.</summary>
    public static async Task<B1500> OpenAsync(string resource, TransportOptions options, ILogger logger, ITransportFactory factory, CancellationToken cancellationToken) =>
        new(await ScpiSession.OpenAsync(resource, options, logger, cancellationToken, factory, SessionOptions).ConfigureAwait(false));

    /// <summary><c>UNT?</c>: which module sits in which slot.</summary>
    public async Task<B1500Modules> ModulesAsync(CancellationToken cancellationToken) =>
        new(await Session.QueryAsync(ModulesQuery, cancellationToken).ConfigureAwait(false));

    /// <summary><c>CL</c>, confirmed: every channel disabled.</summary>
    public Task DisableAllAsync(CancellationToken cancellationToken) => Session.ExecuteAsync(DisableAllCommand, cancellationToken);
}

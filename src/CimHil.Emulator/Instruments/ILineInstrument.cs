namespace CimHil.Emulator.Instruments;

/// <summary>An emulated instrument that speaks LF-terminated messages: one program message in, at most one response out.</summary>
public interface ILineInstrument
{
    /// <summary>Executes one program message (without its terminator); returns the response, or null when there is none.</summary>
    Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken);
}

namespace CimHil.Emulator.Scpi;

/// <summary>Executes one program message unit; returns its response, or null for a command without one.</summary>
internal delegate Task<ScpiResponse?> ScpiHandler(ScpiRequest request, CancellationToken cancellationToken);

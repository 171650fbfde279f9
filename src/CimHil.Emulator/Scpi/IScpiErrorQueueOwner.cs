namespace CimHil.Emulator.Scpi;

/// <summary>An emulated instrument with an error queue, so its server can queue the errors of the framing (-363).</summary>
internal interface IScpiErrorQueueOwner
{
    ScpiErrorQueue Errors { get; }
}

namespace CimHil.Emulator.Scpi;

/// <summary>A command failed with an error code; the message is the error-queue text ("Description;detail").</summary>
internal sealed class ScpiCommandException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

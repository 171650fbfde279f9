namespace CimHil.Emulator.Instruments.B1500;

/// <summary>A WGFMU library call failed with a wgfmu.h status code; the message is served to WGFMU_getError.</summary>
internal sealed class WgfmuCallException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

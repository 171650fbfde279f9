namespace CimHil.Instruments.Wgfmu;

/// <summary>A WGFMU library call returned a non-zero status; carries the function, the status and the library's error text.</summary>
public sealed class WgfmuException(string resource, string function, int status, string detail)
    : InstrumentException(resource, $"{resource}: {function} failed with WGFMU status {status}: {detail}")
{
    public string Function { get; } = function;

    public int Status { get; } = status;

    public string Detail { get; } = detail;
}

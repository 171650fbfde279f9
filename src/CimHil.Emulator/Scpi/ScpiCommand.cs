namespace CimHil.Emulator.Scpi;

/// <summary>One entry of an instrument's command table: a header pattern such as <c>SYSTem:ERRor[:NEXT]?</c> and its handler.</summary>
internal sealed record ScpiCommand(ScpiHeader Header, ScpiHandler Handler)
{
    public ScpiCommand(string pattern, ScpiHandler handler)
        : this(new ScpiHeader(pattern), handler)
    {
    }
}

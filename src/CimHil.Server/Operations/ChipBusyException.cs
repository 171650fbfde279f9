namespace CimHil.Server.Operations;

/// <summary>The chip is exclusive: another operation holds it (HTTP 409). Names what holds it.</summary>
public sealed class ChipBusyException(string requested, string holder)
    : Exception($"the chip is busy: {holder} holds it; {requested} was refused (one chip operation at a time: stop it or wait for it to finish)")
{
    public string Requested { get; } = requested;

    public string Holder { get; } = holder;
}

namespace CimHil.Server.Operations;

/// <summary>
/// The chip is exclusive: another operation holds it (HTTP 409). Names what holds it. Chip-free workflows have a lane of
/// their own (<paramref name="resource"/> "simulation lane"), exclusive in the same way.
/// </summary>
public sealed class ChipBusyException(string requested, string holder, string resource = "chip")
    : Exception($"the {resource} is busy: {holder} holds it; {requested} was refused (one {(resource == "chip" ? "chip" : "chip-free")} operation at a time: stop it or wait for it to finish)")
{
    public string Requested { get; } = requested;

    public string Holder { get; } = holder;
}

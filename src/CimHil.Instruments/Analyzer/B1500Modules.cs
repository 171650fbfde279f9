namespace CimHil.Instruments.Analyzer;

/// <summary>The reply to FLEX <c>UNT?</c>: one <c>model,revision</c> entry per slot, separated by <c>;</c> (<c>0,0</c> for an empty slot).</summary>
public sealed record B1500Modules(string Reply)
{
    /// <summary>The model in <paramref name="slot"/> (1-based), <c>0</c> for an empty one, empty past the last slot reported.</summary>
    public string InSlot(int slot)
    {
        var slots = Reply.Split(';');
        return slot >= 1 && slot <= slots.Length ? slots[slot - 1].Split(',')[0].Trim() : "";
    }
}

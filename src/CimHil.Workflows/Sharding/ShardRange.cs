namespace CimHil.Workflows.Sharding;

/// <summary>
/// Contiguous part <see cref="Shard"/> of <see cref="ShardCount"/> of <see cref="Total"/> items (chips): the first
/// Total mod ShardCount shards take one item more, so sizes differ by at most one and every item is in exactly one shard.
/// </summary>
public sealed record ShardRange(int Shard, int ShardCount, int Total)
{
    /// <summary>First item of the shard.</summary>
    public int First => (Shard * (Total / ShardCount)) + Math.Min(Shard, Total % ShardCount);

    /// <summary>Items in the shard (0 when there are more shards than items).</summary>
    public int Count => (Total / ShardCount) + (Shard < Total % ShardCount ? 1 : 0);

    /// <summary>Parses "I/N" (shard I of N, 0-based) for <paramref name="total"/> items; the message names the option.</summary>
    public static ShardRange Parse(string text, int total, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var shard)
            || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var count) || count < 1 || shard < 0 || shard >= count)
        {
            throw new FormatException($"{option} '{text}': expected I/N with 0 ≤ I < N, e.g. 2/4");
        }

        return new ShardRange(shard, count, total);
    }
}

namespace CimHil.Server.Runs;

/// <summary>A run id or one of its files that does not exist (HTTP 404).</summary>
public sealed class RunNotFoundException(string id, string why) : Exception($"run '{id}': {why}")
{
    public string Id { get; } = id;
}

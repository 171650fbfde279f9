namespace CimHil.Server.Operations;

/// <summary>Stop was asked but no workflow is running (HTTP 409).</summary>
public sealed class NoOperationException(string why) : Exception($"no workflow is running to stop: {why}");

namespace CimHil.Server.Events;

/// <summary>A logged warning or error, as the live stream carries it.</summary>
public sealed record LiveWarning(string Level, string Message);

namespace CimHil.Server;

/// <summary>The body of every error answer: what was wrong, naming the field, value and limit.</summary>
public sealed record ApiError(string Error);

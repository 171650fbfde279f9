namespace CimHil.Server.Runs;

/// <summary>A run folder as GET /api/runs lists it.</summary>
public sealed record RunSummary(string Id, bool HasDatabase, bool HasResults, bool HasReport, bool HasCalibration, DateTime ModifiedUtc);

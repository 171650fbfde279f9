namespace CimHil.Server.Jobs;

/// <summary>One unit result just stored, flat for the page and for pandas.</summary>
public sealed record LiveUnit(string Procedure, int Row, int Column, int Step, string Outcome, double? TargetS, double? ValueS, int Pulses);

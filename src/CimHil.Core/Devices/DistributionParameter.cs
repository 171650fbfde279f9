namespace CimHil.Core.Devices;

/// <summary>One fitted parameter of a level's distribution, with its seeded bootstrap 95 % interval.</summary>
public sealed record DistributionParameter(string Name, double Value, Interval? Interval = null);

namespace CimHil.Core.Devices;

/// <summary>A family tried on a level and how well it fitted (the smallest KS statistic wins).</summary>
public sealed record FamilyCandidate(LevelFamily Family, GoodnessOfFit Fit);

namespace CimHil.Reporting;

/// <summary>The settled conductance (S) of every cell of one level that verified, outliers included.</summary>
public sealed record LevelValues(double TargetS, IReadOnlyList<double> ValuesS);

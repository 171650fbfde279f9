namespace CimHil.Workflows;

/// <summary>A method against standard training on one quantity, paired by seed (the same seed's chips and search).</summary>
/// <param name="Seeds">Number of pairs n.</param>
/// <param name="MeanDifference">Mean of (method − standard) over the seeds.</param>
/// <param name="T">Paired t statistic, mean difference / (sd / √n); NaN for one seed or when every difference is equal.</param>
/// <param name="PValue">Two-sided p-value from Student's t with n − 1 degrees of freedom; NaN where <see cref="T"/> is.</param>
/// <param name="Significant">True when <see cref="PValue"/> is below <see cref="SeedStatistics.Alpha"/>.</param>
public sealed record PairedComparison(int Seeds, double MeanDifference, double T, double PValue, bool Significant);

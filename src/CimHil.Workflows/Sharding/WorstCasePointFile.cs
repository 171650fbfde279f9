namespace CimHil.Workflows.Sharding;

/// <summary>
/// One bound of a worst-case result file: the accuracy under the most harmful Δ found, the Δ file (relative to the
/// result file's folder), whether it came from a smaller bound's search (a Δ inside a smaller box is inside this one
/// too), and in a merged Slurm run the shard that found it.
/// </summary>
public sealed record WorstCasePointFile(double K, double Accuracy, bool FromSmallerBound, string? Perturbation, int? Shard);

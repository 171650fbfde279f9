namespace CimHil.Workflows;

/// <summary>One quantity over the seeds: mean, sample standard deviation and the Student-t 95 % interval of the mean.</summary>
/// <param name="Seeds">Number of seeds n.</param>
/// <param name="Mean">Mean over the seeds.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1); NaN for one seed.</param>
/// <param name="Low">Lower end of the interval; NaN for one seed (no interval from one training run).</param>
/// <param name="High">Upper end of the interval; NaN for one seed.</param>
public sealed record SeedInterval(int Seeds, double Mean, double StandardDeviation, double Low, double High);

namespace CimHil.Workflows;

/// <summary>One quantity over the seeds: mean, sample standard deviation and the Student-t 95 % interval of the mean.</summary>
/// <param name="Seeds">Number of seeds n.</param>
/// <param name="Mean">Mean over the seeds.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1); NaN for one seed.</param>
/// <param name="Low">Lower end of the interval; NaN for one seed (no interval from one training run).</param>
/// <param name="High">Upper end of the interval; NaN for one seed.</param>
public sealed record SeedInterval(int Seeds, double Mean, double StandardDeviation, double Low, double High)
{
    /// <summary>
    /// The interval with its ends clipped to [<paramref name="lower"/>, <paramref name="upper"/>]: the t interval is
    /// symmetric and knows nothing of a quantity's range, so for an accuracy near 0 or 1 it reaches values the accuracy
    /// cannot take (issue #23). Mean and spread are left as measured; NaN ends (one seed) stay NaN.
    /// </summary>
    public SeedInterval ClippedTo(double lower, double upper) => this with
    {
        Low = double.IsNaN(Low) ? Low : Math.Clamp(Low, lower, upper),
        High = double.IsNaN(High) ? High : Math.Clamp(High, lower, upper),
    };
}

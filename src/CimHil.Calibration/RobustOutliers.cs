namespace CimHil.Calibration;

/// <summary>
/// Robust outlier detection by the modified z-score M = 0.6745·(x − median)/MAD (Iglewicz &amp; Hoaglin, "How to Detect and
/// Handle Outliers", ASQC 1993, §3.3): a value with |M| &gt; 3.5 is an outlier. Median and MAD are not moved by the outliers
/// themselves (breakdown point 50 %), unlike mean ± kσ. For a normal sample a false alarm has probability 4.7·10⁻⁴ per value.
/// </summary>
public static class RobustOutliers
{
    /// <summary>The threshold on |M| that Iglewicz &amp; Hoaglin recommend.</summary>
    public const double Threshold = 3.5;

    /// <summary>The indices of the outliers of <paramref name="values"/> (none when MAD is 0 or there are fewer than 5 values).</summary>
    public static IReadOnlyList<int> Find(IReadOnlyList<double> values, double threshold = Threshold)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 5)
        {
            return [];
        }

        var median = Stats.Median(values);
        var mad = Stats.Median(values.Select(v => Math.Abs(v - median)));
        if (!(mad > 0))
        {
            return [];
        }

        var outliers = new List<int>();
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]) || Math.Abs(0.6745 * (values[i] - median) / mad) > threshold)
            {
                outliers.Add(i);
            }
        }

        return outliers;
    }
}

namespace CimHil.Core.Numerics;

/// <summary>Order statistics: the one percentile definition every report and Monte-Carlo statistic uses.</summary>
public static class OrderStatistics
{
    /// <summary>
    /// The p-th percentile (p in [0, 100]) of <paramref name="sorted"/> (ascending) by linear interpolation between order
    /// statistics at rank (n − 1)·p/100 — Hyndman &amp; Fan (1996) definition 7, the default of R and numpy.
    /// </summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("Percentile of an empty sample.", nameof(sorted));
        }

        if (!(p >= 0 && p <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"percentile {p} must lie in [0, 100]");
        }

        var h = (sorted.Length - 1) * p / 100.0;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }

    /// <summary>
    /// The upper median: element ⌊n/2⌋ of <paramref name="sorted"/> (ascending), an observed value for any n. Deliberately
    /// not the interpolated <see cref="Percentile"/>(50) (the mean of the two middle values for even n): the worst-case
    /// search scales its objective's κ by the median positive margin, and every recorded worst case depends on that value.
    /// </summary>
    public static double UpperMedian(ReadOnlySpan<double> sorted) =>
        sorted.IsEmpty ? throw new ArgumentException("Median of an empty sample.", nameof(sorted)) : sorted[sorted.Length / 2];

    /// <summary>
    /// The conventional median of <paramref name="sorted"/> (ascending): the middle element, or the mean of the two middle
    /// ones for even n — the value of <see cref="Percentile"/>(50), computed as the textbook formula so the calibration's
    /// fitted numbers keep their last bits.
    /// </summary>
    public static double Median(ReadOnlySpan<double> sorted) =>
        sorted.IsEmpty ? throw new ArgumentException("Median of an empty sample.", nameof(sorted))
        : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]);
}

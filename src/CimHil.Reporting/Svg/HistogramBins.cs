using CimHil.Core.Numerics;

namespace CimHil.Reporting.Svg;

/// <summary>Equal-width histogram: bin edges (Count + 1 of them) and counts; the last bin includes its right edge.</summary>
public sealed record HistogramBins(IReadOnlyList<double> Edges, IReadOnlyList<int> Counts)
{
    public int Total => Counts.Sum();

    public double Width => Edges.Count > 1 ? Edges[1] - Edges[0] : 0;

    /// <summary>Count / (total · width): the histogram as a probability density, comparable with a fitted pdf.</summary>
    public double Density(int bin) => Total == 0 || Width <= 0 ? 0 : Counts[bin] / (Total * Width);

    /// <summary>Bins the finite values into <paramref name="binCount"/> equal bins over [min, max].</summary>
    public static HistogramBins Create(IReadOnlyList<double> values, int binCount, double min, double max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(binCount, 1);
        if (!(max > min))
        {
            var pad = min == 0 ? 0.5 : Math.Abs(min) * 0.01;
            min -= pad;
            max += pad;
        }

        var width = (max - min) / binCount;
        var edges = new double[binCount + 1];
        for (var i = 0; i <= binCount; i++)
        {
            edges[i] = min + (i * width);
        }

        var counts = new int[binCount];
        foreach (var v in values)
        {
            if (!double.IsFinite(v) || v < min || v > max)
            {
                continue;
            }

            var bin = (int)Math.Floor((v - min) / width);
            counts[Math.Min(bin, binCount - 1)]++;
        }

        return new HistogramBins(edges, counts);
    }

    /// <summary>Bins with a width from the Freedman–Diaconis rule, 2·IQR·n^(−1/3) (Z. Wahrscheinlichkeitstheorie 57, 1981), within [minBins, maxBins].</summary>
    public static HistogramBins Auto(IReadOnlyList<double> values, int minBins = 5, int maxBins = 60)
    {
        var finite = values.Where(double.IsFinite).Order().ToArray();
        if (finite.Length == 0)
        {
            return Create([], minBins, 0, 1);
        }

        var min = finite[0];
        var max = finite[^1];
        return Create(finite, SuggestBinCount(finite, minBins, maxBins), min, max);
    }

    /// <summary>Freedman–Diaconis bin count; Sturges' log2(n)+1 when the IQR is zero.</summary>
    public static int SuggestBinCount(IReadOnlyList<double> sortedValues, int minBins = 5, int maxBins = 60)
    {
        var n = sortedValues.Count;
        if (n < 2)
        {
            return minBins;
        }

        var range = sortedValues[^1] - sortedValues[0];
        var iqr = Quartile(sortedValues, 75) - Quartile(sortedValues, 25);
        var bins = iqr > 0 && range > 0
            ? (int)Math.Ceiling(range / (2 * iqr * Math.Pow(n, -1.0 / 3)))
            : (int)Math.Ceiling(Math.Log2(n) + 1);
        return Math.Clamp(bins, minBins, maxBins);
    }

    private static double Quartile(IReadOnlyList<double> sortedValues, double p) =>
        OrderStatistics.Percentile(sortedValues as double[] ?? sortedValues.ToArray(), p);
}

using System.Diagnostics;

namespace CimHil.Bench.RoundTrips;

/// <summary>Timing shared by the instrument benches: warm-up, per-call wall times (sorted), medians and a one-line report.</summary>
internal static class RoundTripTiming
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmUp"/> times unmeasured (JIT, tiering, socket buffers), then times each call.</summary>
    public static async Task<double[]> TimeAsync(Func<Task> action, int iterations, int warmUp = 500)
    {
        for (var i = 0; i < Math.Min(warmUp, iterations); i++)
        {
            await action();
        }

        var seconds = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds;
    }

    public static double Median(double[] sorted) => sorted[sorted.Length / 2];

    public static double P99(double[] sorted) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))];

    /// <summary>"what  median … µs  p99 … µs  [+x% over bare]".</summary>
    public static void Report(string what, double[] sorted, double[]? baseline = null)
    {
        var relative = baseline is null ? string.Empty : $"   {Median(sorted) / Median(baseline) - 1,6:P0} over bare";
        Console.WriteLine($"  {what,-40} median {Median(sorted) * 1e6,9:F1} µs   p99 {P99(sorted) * 1e6,9:F1} µs{relative}");
    }
}

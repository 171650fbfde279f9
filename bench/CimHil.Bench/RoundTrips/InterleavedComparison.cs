using System.Diagnostics;

namespace CimHil.Bench.RoundTrips;

/// <summary>
/// Two round trips timed in alternating blocks, so that load from other processes on a shared machine falls on both
/// alike (timing one after the other let a build starting midway decide the verdict). Besides the wall-clock samples,
/// each side's process CPU time and allocated bytes per call: those two barely move with the machine's load.
/// </summary>
internal static class InterleavedComparison
{
    private const int BlockSize = 100;

    public sealed record Side(double[] SortedSeconds, double CpuSecondsPerCall, double BytesPerCall);

    public static async Task<(Side Baseline, Side Candidate)> RunAsync(Func<Task> baseline, Func<Task> candidate, int iterations)
    {
        // Warm-up of both, unmeasured: JIT, tiered compilation (tier-1 after 30 calls plus a back-off), socket buffers.
        for (var i = 0; i < Math.Min(2000, iterations); i++)
        {
            await baseline();
            await candidate();
        }

        var a = new Accumulator(iterations);
        var b = new Accumulator(iterations);
        for (var done = 0; done < iterations; done += BlockSize)
        {
            var n = Math.Min(BlockSize, iterations - done);
            await a.BlockAsync(baseline, n);
            await b.BlockAsync(candidate, n);
        }

        return (a.ToSide(), b.ToSide());
    }

    private sealed class Accumulator(int iterations)
    {
        private readonly double[] _seconds = new double[iterations];
        private int _count;
        private TimeSpan _cpu;
        private long _bytes;

        public async Task BlockAsync(Func<Task> action, int n)
        {
            var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var bytesStart = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < n; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await action();
                _seconds[_count++] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }

            _bytes += GC.GetTotalAllocatedBytes(precise: true) - bytesStart;
            _cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        }

        public Side ToSide()
        {
            Array.Sort(_seconds);
            return new Side(_seconds, _cpu.TotalSeconds / _count, (double)_bytes / _count);
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// Wall-clock seconds per phase of a GPU Monte-Carlo run (host programming, drawing, waiting, uploads, each GPU step),
/// enabled by <see cref="Variable"/> = 1 and written to standard error at the end of a run (docs/gpu.md, "Profile"). With it
/// on, the GPU steps are synchronised one by one so that each is timed alone; the run is then slower than without.
/// </summary>
internal sealed class PhaseProfile
{
    /// <summary>Set to 1 to time the phases (issue #21: find the bottleneck before fixing it).</summary>
    public const string Variable = "CIMHIL_CUDA_PROFILE";

    private readonly ConcurrentDictionary<string, (double Seconds, long Count)> _phases = new();
    private readonly List<string> _order = [];

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Adds the time since <paramref name="startTicks"/> (a <see cref="Stopwatch.GetTimestamp"/>) to <paramref name="phase"/>.</summary>
    public void Add(string phase, long startTicks)
    {
        var seconds = Stopwatch.GetElapsedTime(startTicks).TotalSeconds;
        _phases.AddOrUpdate(
            phase,
            p =>
            {
                lock (_order)
                {
                    _order.Add(p);
                }

                return (seconds, 1);
            },
            (_, old) => (old.Seconds + seconds, old.Count + 1));
    }

    public string Report(string title, double totalSeconds)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"profile {title}: {totalSeconds:F3} s wall\n");
        lock (_order)
        {
            foreach (var phase in _order)
            {
                var (s, n) = _phases[phase];
                text.Append(CultureInfo.InvariantCulture, $"  {phase,-44} {s,9:F4} s  {100 * s / totalSeconds,6:F1} %  ×{n}\n");
            }
        }

        return text.ToString();
    }
}

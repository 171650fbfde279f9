namespace CimHil.Server.Jobs;

/// <summary>
/// Estimated time left for progress counters (a procedure's units, a stage's chips or epochs): the mean rate since the
/// counter was first seen this session, applied to what is left. A resumed counter starts at its resumed value, so units
/// done by an earlier session do not make the estimate optimistic.
/// </summary>
public sealed class EtaClock
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (DateTimeOffset At, double Done)> _first = new(StringComparer.Ordinal);

    /// <summary>Seconds left for <paramref name="key"/>, or null until there is a rate to go by.</summary>
    public double? SecondsLeft(string key, double done, double total, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_first.TryGetValue(key, out var first))
            {
                _first[key] = (now, done);
                return null;
            }

            var progressed = done - first.Done;
            var elapsed = (now - first.At).TotalSeconds;
            if (progressed <= 0 || elapsed <= 0)
            {
                return null;
            }

            return Math.Max(0, total - done) * elapsed / progressed;
        }
    }
}

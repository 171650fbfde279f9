using System.Collections.Immutable;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Drift and retention: program sampled cells to the targets, read at log-spaced times after programming.</summary>
public sealed record DriftSpec(ImmutableArray<double> TargetsS, ImmutableArray<double> TimesSeconds, int ReadsPerPoint, SampleSpec Sample)
{
    internal static DriftSpec Parse(JsonSection s)
    {
        s.AllowOnly("targetsS", "firstSeconds", "lastSeconds", "pointsPerDecade", "readsPerPoint", "sampleCount");
        var first = s.Positive("firstSeconds");
        var last = s.Positive("lastSeconds");
        if (last <= first)
        {
            throw s.Error("lastSeconds", $"{last} s must be after firstSeconds {first} s");
        }

        var perDecade = s.Int("pointsPerDecade", 1, 100);

        // Log-spaced read times, as retention and drift are power laws in time (Ielmini et al., IEEE TED 54(2), 2007).
        var decades = Math.Log10(last / first);
        var n = (int)Math.Ceiling(decades * perDecade);
        var times = Enumerable.Range(0, n + 1).Select(k => first * Math.Pow(10, Math.Min(decades, (double)k / perDecade))).Distinct().ToImmutableArray();
        return new DriftSpec(ConductanceTargets.Parse(s), times, s.Int("readsPerPoint", 1, 1, 1000), SampleSpec.Parse(s));
    }
}

using System.Collections.Immutable;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>A plan's list of target conductances (<c>targetsS</c>), each above 0.</summary>
public static class ConductanceTargets
{
    public static ImmutableArray<double> Parse(JsonSection s)
    {
        var t = s.Doubles("targetsS", 1);
        for (var i = 0; i < t.Count; i++)
        {
            if (!(t[i] > 0))
            {
                throw new ConfigException($"{s.PathOf("targetsS")}[{i}]", $"{t[i]} S must be greater than 0");
            }
        }

        return [.. t];
    }
}

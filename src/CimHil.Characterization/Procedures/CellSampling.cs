using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Numerics;

namespace CimHil.Characterization.Procedures;

/// <summary>Which cells a procedure takes and which level each gets: fixed by the plan's seed, so a resume samples the same cells.</summary>
internal static class CellSampling
{
    /// <summary>
    /// The cells a procedure uses: cells that formed and are not stuck (per the store), in a pseudo-random order fixed by
    /// the plan's seed and the procedure's name, the first <see cref="SampleSpec.Count"/> of them; row-major in the result.
    /// </summary>
    public static List<CellAddress> Sample(MeasurementStore store, ArrayGeometry g, long seed, string procedure, SampleSpec sample)
    {
        var excluded = new HashSet<(int, int)>(
            store.Units(ProcedureNames.StuckMap).Where(u => u.Outcome != ProcedureNames.Ok)
                .Concat(store.Units(ProcedureNames.Forming).Where(u => u.Outcome != ProcedureNames.Formed))
                .Select(u => (u.Key.Row, u.Key.Column)));
        var salt = 0UL;
        foreach (var ch in procedure)
        {
            salt = (salt * 31) + ch;
        }

        var eligible = Enumerable.Range(0, g.CellCount)
            .Select(i => new CellAddress(i / g.Columns, i % g.Columns))
            .Where(c => !excluded.Contains((c.Row, c.Column)));
        var chosen = sample.Count is { } n
            ? eligible.OrderBy(c => Mix((ulong)seed, salt, (ulong)((c.Row * g.Columns) + c.Column))).Take(n)
            : eligible;
        return chosen.OrderBy(c => c.Row).ThenBy(c => c.Column).ToList();
    }

    /// <summary>Spreads the levels evenly over the sampled cells: cell i (row-major) gets level i mod N.</summary>
    public static Dictionary<CellAddress, int> LevelAssignment(List<CellAddress> cells, int levels)
    {
        var map = new Dictionary<CellAddress, int>(cells.Count);
        for (var i = 0; i < cells.Count; i++)
        {
            map[cells[i]] = i % levels;
        }

        return map;
    }

    /// <summary>The upper median of the finite values, an observed value (0 when there are none).</summary>
    public static double Median(double[] values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        return sorted.Length == 0 ? 0 : OrderStatistics.UpperMedian(sorted);
    }

    // The SplitMix64 finaliser: a stable hash across processes, unlike string.GetHashCode.
    private static ulong Mix(ulong seed, ulong salt, ulong index) =>
        SplitMix64.Finalise(seed ^ (salt * SplitMix64.Gamma) ^ (index * 0xD1B54A32D192ED03UL));
}

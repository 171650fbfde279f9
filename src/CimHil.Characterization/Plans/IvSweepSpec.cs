using System.Collections.Immutable;
using System.Text.Json;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>DC I–V sweep: reads of selected cells at each voltage (within the read limit).</summary>
public sealed record IvSweepSpec(ImmutableArray<CellAddress> Cells, ImmutableArray<double> VoltagesV)
{
    internal static IvSweepSpec Parse(JsonSection s)
    {
        s.AllowOnly("cells", "voltagesV");
        var cells = new List<CellAddress>();
        var v = s.Element.GetProperty("cells");
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw s.Error("cells", "expected an array of [row, column] pairs");
        }

        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || !item[0].TryGetInt32(out var r) || !item[1].TryGetInt32(out var c) || r < 0 || c < 0)
            {
                throw new ConfigException($"{s.PathOf("cells")}[{i}]", "expected [row, column] with non-negative whole numbers");
            }

            cells.Add(new CellAddress(r, c));
            i++;
        }

        var volts = s.Doubles("voltagesV", 1);
        if (volts.Any(x => x == 0))
        {
            throw s.Error("voltagesV", "0 V gives no conductance; leave it out");
        }

        return new IvSweepSpec([.. cells], [.. volts]);
    }
}

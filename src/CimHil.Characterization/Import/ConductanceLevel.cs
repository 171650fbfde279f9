namespace CimHil.Characterization.Import;

/// <summary>A verify window in siemens (low ≤ high, whatever unit the mapping gave it in); its target is the middle.</summary>
public sealed record ConductanceLevel(double LowS, double HighS)
{
    public double TargetS => (LowS + HighS) / 2;

    /// <summary>A window given as two bounds in <paramref name="unit"/>: resistance bounds swap when turned into conductance.</summary>
    public static ConductanceLevel From(double a, double b, ImportUnit unit)
    {
        var ga = ImportMapping.ToSiemens(a, unit);
        var gb = ImportMapping.ToSiemens(b, unit);
        return new ConductanceLevel(Math.Min(ga, gb), Math.Max(ga, gb));
    }
}

namespace CimHil.Core.Numerics;

/// <summary>Vector norms over weight and activation spans.</summary>
public static class Norms
{
    /// <summary>The largest absolute value (the L∞ norm); 0 for an empty span, NaN if any element is NaN.</summary>
    public static float MaxAbs(ReadOnlySpan<float> values)
    {
        var m = 0f;
        foreach (var x in values)
        {
            m = Math.Max(m, Math.Abs(x));
        }

        return m;
    }
}

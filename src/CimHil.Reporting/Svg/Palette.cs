namespace CimHil.Reporting.Svg;

/// <summary>Series colours and the heatmap colour scale.</summary>
public static class Palette
{
    // Okabe & Ito, "Color Universal Design" (2008): eight colours distinguishable under the common colour-vision deficiencies.
    // Yellow (#F0E442) is moved last because it is faint on white.
    private static readonly string[] Series =
        ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#F0E442"];

    // Nine samples of matplotlib's "viridis" (van der Walt & Smith, 2015), perceptually uniform and readable in greyscale.
    private static readonly (double R, double G, double B)[] Viridis =
    [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
    ];

    /// <summary>The i-th series colour (cycles).</summary>
    public static string SeriesColor(int index) => Series[((index % Series.Length) + Series.Length) % Series.Length];

    /// <summary>Viridis colour at t in [0, 1] (clamped), linearly interpolated between samples, as #rrggbb.</summary>
    public static string ViridisAt(double t)
    {
        if (double.IsNaN(t))
        {
            return "#cccccc";
        }

        var x = Math.Clamp(t, 0, 1) * (Viridis.Length - 1);
        var i = Math.Min((int)Math.Floor(x), Viridis.Length - 2);
        var f = x - i;
        var (r0, g0, b0) = Viridis[i];
        var (r1, g1, b1) = Viridis[i + 1];
        return $"#{(int)Math.Round(r0 + ((r1 - r0) * f)):x2}{(int)Math.Round(g0 + ((g1 - g0) * f)):x2}{(int)Math.Round(b0 + ((b1 - b0) * f)):x2}";
    }
}

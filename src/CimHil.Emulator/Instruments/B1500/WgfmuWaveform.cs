namespace CimHil.Emulator.Instruments.B1500;

/// <summary>A channel's voltage over a whole execution: piecewise linear between its points.</summary>
internal sealed class WgfmuWaveform(List<(double T, double V)> points)
{
    public List<(double T, double V)> Points { get; } = points;

    /// <summary>Time during which the excursion's |V| is at least half its peak (exact on the linear pieces).</summary>
    public static double FullWidthAtHalfMaximum(List<double> times, int start, int end, Func<double, double> v, double peak)
    {
        var half = Math.Abs(peak) / 2;
        var sign = Math.Sign(peak);
        var width = 0.0;
        for (var k = start; k < end; k++)
        {
            double a = sign * v(times[k]), b = sign * v(times[k + 1]), dt = times[k + 1] - times[k];
            if (a >= half && b >= half)
            {
                width += dt;
            }
            else if (a >= half || b >= half)
            {
                width += dt * (Math.Max(a, b) - half) / Math.Abs(b - a);
            }
        }

        return width;
    }

    /// <summary>V(t), linear between points; the last point holds after the end. At a jump (two points at one time) the later wins.</summary>
    public double At(double t)
    {
        var v = Points[0].V;
        for (var k = 1; k < Points.Count; k++)
        {
            var (ta, va) = Points[k - 1];
            var (tb, vb) = Points[k];
            if (t < tb)
            {
                return tb > ta && t >= ta ? va + ((vb - va) * (t - ta) / (tb - ta)) : v;
            }

            v = vb;
        }

        return v;
    }
}

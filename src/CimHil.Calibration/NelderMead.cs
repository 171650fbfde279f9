namespace CimHil.Calibration;

/// <summary>
/// Minimises a function of two parameters by the Nelder–Mead simplex (Nelder &amp; Mead, Computer Journal 7, 1965; the
/// standard coefficients 1, 2, ½, ½). Small and deterministic: used for the truncated-normal likelihood.
/// </summary>
internal static class NelderMead
{
    public static (double X, double Y) Minimise(Func<double, double, double> f, double x0, double y0, double dx, double dy, int maxIterations = 400, double tolerance = 1e-10)
    {
        var p = new (double X, double Y, double F)[] { (x0, y0, f(x0, y0)), (x0 + dx, y0, f(x0 + dx, y0)), (x0, y0 + dy, f(x0, y0 + dy)) };
        for (var it = 0; it < maxIterations; it++)
        {
            Array.Sort(p, (a, b) => a.F.CompareTo(b.F));
            if (Math.Abs(p[2].F - p[0].F) <= tolerance * (Math.Abs(p[0].F) + tolerance))
            {
                break;
            }

            var cx = (p[0].X + p[1].X) / 2;
            var cy = (p[0].Y + p[1].Y) / 2;
            (double X, double Y, double F) At(double t) => (cx + (t * (p[2].X - cx)), cy + (t * (p[2].Y - cy)), f(cx + (t * (p[2].X - cx)), cy + (t * (p[2].Y - cy))));
            var r = At(-1);
            if (r.F < p[0].F)
            {
                var e = At(-2);
                p[2] = e.F < r.F ? e : r;
            }
            else if (r.F < p[1].F)
            {
                p[2] = r;
            }
            else
            {
                var c = r.F < p[2].F ? At(-0.5) : At(0.5);
                if (c.F < Math.Min(r.F, p[2].F))
                {
                    p[2] = c;
                }
                else
                {
                    // Shrink towards the best vertex.
                    for (var i = 1; i < 3; i++)
                    {
                        var x = (p[0].X + p[i].X) / 2;
                        var y = (p[0].Y + p[i].Y) / 2;
                        p[i] = (x, y, f(x, y));
                    }
                }
            }
        }

        Array.Sort(p, (a, b) => a.F.CompareTo(b.F));
        return (p[0].X, p[0].Y);
    }
}

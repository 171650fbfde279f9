namespace CimHil.Reporting.Svg;

/// <summary>A tick on an axis: its value and the label drawn under/beside it.</summary>
public readonly record struct Tick(double Value, string Label, bool Major = true);

/// <summary>Tick placement for linear and logarithmic axes.</summary>
public static class Ticks
{
    /// <summary>
    /// "Nice" step ≥ range/targetCount from {1, 2, 5}·10^k, after Heckbert, "Nice numbers for graph labels",
    /// Graphics Gems (1990) — the loose-labelling variant: the axis is extended to whole steps.
    /// </summary>
    public static double NiceStep(double range, int targetCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetCount, 1);
        if (!(range > 0) || double.IsInfinity(range))
        {
            return 1;
        }

        var raw = range / targetCount;
        var exponent = Math.Floor(Math.Log10(raw));
        var magnitude = Math.Pow(10, exponent);
        var fraction = raw / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    /// <summary>Domain [min, max] widened to whole nice steps, plus the ticks in it, labelled with just enough decimals.</summary>
    public static (double Min, double Max, IReadOnlyList<Tick> Ticks) Linear(double min, double max, int targetCount = 6)
    {
        if (double.IsNaN(min) || double.IsNaN(max) || double.IsInfinity(min) || double.IsInfinity(max))
        {
            throw new ArgumentException($"Axis domain [{min}, {max}] is not finite.");
        }

        if (max < min)
        {
            (min, max) = (max, min);
        }

        if (max == min)
        {
            // A constant series still needs an axis: pad by 1 unit or 10 % of the value.
            var pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            min -= pad;
            max += pad;
        }

        var step = NiceStep(max - min, targetCount);
        var lo = Math.Floor((min / step) + 1e-9) * step;
        var hi = Math.Ceiling((max / step) - 1e-9) * step;
        var decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        var ticks = new List<Tick>();
        var count = (int)Math.Round((hi - lo) / step);
        for (var i = 0; i <= count; i++)
        {
            var v = lo + (i * step);
            if (Math.Abs(v) < step * 1e-9)
            {
                v = 0;
            }

            ticks.Add(new Tick(v, Markup.Fixed(v, decimals)));
        }

        return (lo, hi, ticks);
    }

    /// <summary>
    /// Domain widened to the enclosing tick values: decades for ≥ 2 decades of data, else 1-2-5 multiples for a ratio ≥ 4,
    /// else every integer multiple (1…9) of a decade.
    /// </summary>
    public static (double Min, double Max, IReadOnlyList<Tick> Ticks) Log(double min, double max)
    {
        if (!(min > 0) || !(max > 0) || double.IsInfinity(min) || double.IsInfinity(max))
        {
            throw new ArgumentException($"Logarithmic axis domain [{min}, {max}] must be positive and finite.");
        }

        if (max < min)
        {
            (min, max) = (max, min);
        }

        if (max == min)
        {
            min /= 1.5;
            max *= 1.5;
        }

        // Decades when the data spans two or more of them, 1-2-5 multiples down to a factor of 4, else every 1…9 multiple:
        // enough ticks to read values off without padding a narrow range out to whole decades.
        var ratio = max / min;
        double[] multipliers = ratio >= 100 ? [1] : ratio >= 4 ? [1, 2, 5] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var candidates = Candidates(min, max, multipliers);
        var lo = candidates.LastOrDefault(v => v <= min * (1 + 1e-9));
        var hi = candidates.FirstOrDefault(v => v >= max * (1 - 1e-9));
        if (lo > 0 && hi > 0)
        {
            var inside = candidates.Where(v => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)).ToList();
            return (lo, hi, inside.Select(v => new Tick(v, LogLabel(v), IsDecade(v))).ToList());
        }

        throw new InvalidOperationException($"No logarithmic ticks found for [{min}, {max}].");
    }

    /// <summary>Label of a log tick: a plain number within 10⁻³…10⁴, else m·10ᵏ with Unicode superscript digits.</summary>
    public static string LogLabel(double value)
    {
        var exponent = (int)Math.Floor(Math.Log10(value) + 1e-9);
        if (exponent is >= -3 and <= 4)
        {
            return value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
        }

        var mantissa = value / Math.Pow(10, exponent);
        var power = "10" + Superscript(exponent);
        return Math.Abs(mantissa - 1) < 1e-9 ? power : Markup.Significant(mantissa, 2) + "\u00b7" + power;
    }

    /// <summary>Integer written with Unicode superscript digits (and minus).</summary>
    public static string Superscript(int value)
    {
        const string digits = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079";
        var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Concat(text.Select(c => c == '-' ? '\u207b' : digits[c - '0']));
    }

    private static bool IsDecade(double v)
    {
        var e = Math.Log10(v);
        return Math.Abs(e - Math.Round(e)) < 1e-9;
    }

    private static List<double> Candidates(double min, double max, double[] multipliers)
    {
        var first = (int)Math.Floor(Math.Log10(min)) - 1;
        var last = (int)Math.Ceiling(Math.Log10(max)) + 1;
        var list = new List<double>();
        for (var e = first; e <= last; e++)
        {
            var decade = Math.Pow(10, e);
            foreach (var m in multipliers)
            {
                // Round to 12 significant digits so 3·10⁻⁶ prints and compares as 3e-6, not 2.9999999999999997e-6.
                list.Add(double.Parse((m * decade).ToString("G12", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return list;
    }
}

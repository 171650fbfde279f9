using System.Globalization;
using System.Text;

namespace CimHil.Reporting.Svg;

/// <summary>Escaping and invariant number formatting for HTML and inline SVG text.</summary>
public static class Markup
{
    /// <summary>Escapes the five XML special characters so text is safe in element content and quoted attributes.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    // Control characters other than tab/newline are not allowed in XML 1.0; drop them.
                    if (c >= ' ' || c == '\t' || c == '\n' || c == '\r')
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>A coordinate with two decimals, invariant culture, no exponent.</summary>
    public static string Coord(double value) =>
        Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A number with a fixed count of decimals, invariant culture; "−" (U+2212) for negatives.</summary>
    public static string Fixed(double value, int decimals)
    {
        var text = Math.Round(value, Math.Clamp(decimals, 0, 12)).ToString("F" + Math.Clamp(decimals, 0, 12), CultureInfo.InvariantCulture);
        return text.StartsWith('-') ? (IsZero(text) ? text[1..] : "\u2212" + text[1..]) : text;
    }

    /// <summary>A number with up to <paramref name="significant"/> significant digits, invariant culture.</summary>
    public static string Significant(double value, int significant = 3)
    {
        if (double.IsNaN(value))
        {
            return "n/a";
        }

        // "G3" would print 1234 as 1.23E+03; integers below a million read better rounded to whole numbers.
        var text = Math.Abs(value) >= Math.Pow(10, significant) && Math.Abs(value) < 1e6
            ? Math.Round(value).ToString("F0", CultureInfo.InvariantCulture)
            : value.ToString("G" + significant, CultureInfo.InvariantCulture);
        return text.StartsWith('-') ? "\u2212" + text[1..] : text;
    }

    private static bool IsZero(string text) => text.All(c => c is '-' or '0' or '.');
}

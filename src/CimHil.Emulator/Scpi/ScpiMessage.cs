namespace CimHil.Emulator.Scpi;

/// <summary>Splitting of program messages and parameter lists, with quoted strings kept whole.</summary>
internal static class ScpiMessage
{
    /// <summary>
    /// Splits on <paramref name="separator"/> outside string data, each piece trimmed. Strings are delimited by double or
    /// single quotes (IEEE 488.2 section 7.7.5), so ';' or ',' inside <c>"SimpleLoop;x"</c> does not split.
    /// </summary>
    public static IEnumerable<string> SplitOutsideQuotes(string text, char separator)
    {
        var start = 0;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quote is null && ch is '"' or '\'')
            {
                quote = ch;
            }
            else if (quote == ch)
            {
                quote = null;
            }
            else if (quote is null && ch == separator)
            {
                yield return text[start..i].Trim();
                start = i + 1;
            }
        }

        yield return text[start..].Trim();
    }

    /// <summary>The text inside matching quotes, or the text itself when it is not quoted.</summary>
    public static string Unquote(string text)
    {
        var t = text.Trim();
        return t.Length >= 2 && (t[0] == '"' || t[0] == '\'') && t[^1] == t[0] ? t[1..^1] : t;
    }

    /// <summary>A unit shortened for the error queue and the log: a 1 MiB ARR:VMM? is not worth repeating in full.</summary>
    public static string Head(string unit) => unit.Length <= 60 ? unit : unit[..60] + "...";
}

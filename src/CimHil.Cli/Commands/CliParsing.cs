using System.Globalization;
using CimHil.Core.Chip;

namespace CimHil.Cli.Commands;

/// <summary>Parsers for the small value syntaxes of the command line.</summary>
public static class CliParsing
{
    /// <summary>"r,c" → a cell.</summary>
    public static CellAddress Cell(string text, string option)
    {
        var n = Integers(text, option, 2, "ROW,COLUMN");
        return new CellAddress(n[0], n[1]);
    }

    /// <summary>"r,c,rows,cols" → a block.</summary>
    public static CellBlock Block(string text, string option)
    {
        var n = Integers(text, option, 4, "ROW,COLUMN,ROWS,COLUMNS");
        if (n[2] < 1 || n[3] < 1)
        {
            throw new CliUsageException($"{option} '{text}': a block needs at least 1 row and 1 column");
        }

        return new CellBlock(n[0], n[1], n[2], n[3]);
    }

    public static int[] Integers(string text, string option, int count, string form)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != count)
        {
            throw new CliUsageException($"{option} '{text}': expected {form}");
        }

        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] < 0)
            {
                throw new CliUsageException($"{option} '{text}': '{parts[i]}' is not a non-negative whole number (expected {form})");
            }
        }

        return result;
    }

    /// <summary>Formats siemens as µS for people.</summary>
    public static string Microsiemens(double conductanceS) => (conductanceS * 1e6).ToString("F3", CultureInfo.InvariantCulture);
}

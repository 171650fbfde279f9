using System.Globalization;
using CimHil.Core.Chip;

namespace CimHil.Cli.Commands;

/// <summary>
/// A block read as people and tools read it: a plain-text grid of µS wrapped to the output's width (no ANSI codes, so
/// it pipes and diffs cleanly), or CSV with one line per cell.
/// </summary>
public static class ConductanceGrid
{
    /// <summary>The width a grid is wrapped to where the output is not a terminal (a pipe, a file, a test).</summary>
    public const int DefaultWidth = 80;

    // "-100.00" is the widest value the emulator's 0–100 µS range gives at two decimals; one space between columns.
    private const int CellWidth = 8;

    /// <summary>Columns that fit: the terminal's width when <paramref name="output"/> is the console on a terminal, else <see cref="DefaultWidth"/>.</summary>
    public static int WidthOf(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && Console.WindowWidth > 0 ? Console.WindowWidth : DefaultWidth;

    /// <summary>
    /// Writes the grid: a title line, then per slice of columns that fits <paramref name="width"/> a header of column
    /// numbers and one line per row. µS with two decimals: 0.01 µS is below the read noise of any bench CimHil drives.
    /// </summary>
    public static void Write(TextWriter output, BlockReadResult result, int width)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        var block = result.Block;
        var label = Math.Max("row\\col".Length, Number(block.Row + block.Rows - 1).Length);
        var perLine = Math.Max(1, (width - label) / CellWidth);
        output.WriteLine($"Conductance (µS) at {Number(result.ReadVoltageV)} V, rows {Span(block.Row, block.Rows)}, columns {Span(block.Column, block.Columns)}");
        for (var first = 0; first < block.Columns; first += perLine)
        {
            var count = Math.Min(perLine, block.Columns - first);
            if (first > 0)
            {
                output.WriteLine();
            }

            var header = "row\\col".PadRight(label);
            for (var c = 0; c < count; c++)
            {
                header += Number(block.Column + first + c).PadLeft(CellWidth);
            }

            output.WriteLine(header);
            for (var r = 0; r < block.Rows; r++)
            {
                var line = Number(block.Row + r).PadLeft(label);
                for (var c = 0; c < count; c++)
                {
                    var g = result.ConductanceS(block.Row + r, block.Column + first + c);
                    line += (g * 1e6).ToString("F2", CultureInfo.InvariantCulture).PadLeft(CellWidth);
                }

                output.WriteLine(line);
            }
        }
    }

    /// <summary>CSV, one line per cell: <c>row,column,readVoltageV,currentA,conductanceS</c> (SI units, round-trip precision).</summary>
    public static void WriteCsv(TextWriter output, BlockReadResult result)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        output.WriteLine("row,column,readVoltageV,currentA,conductanceS");
        foreach (var cell in result.Block.Cells())
        {
            output.WriteLine(string.Join(
                ',',
                Number(cell.Row),
                Number(cell.Column),
                result.ReadVoltageV.ToString("R", CultureInfo.InvariantCulture),
                result.CurrentA(cell.Row, cell.Column).ToString("R", CultureInfo.InvariantCulture),
                result.ConductanceS(cell.Row, cell.Column).ToString("R", CultureInfo.InvariantCulture)));
        }
    }

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Number(double x) => x.ToString(CultureInfo.InvariantCulture);

    private static string Span(int first, int count) => count == 1 ? Number(first) : $"{Number(first)}–{Number(first + count - 1)}";
}

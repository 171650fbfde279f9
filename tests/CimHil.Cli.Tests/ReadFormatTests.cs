using System.Globalization;
using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil read</c> as text and CSV when stdout is not a terminal (issue #20, item 2).</summary>
public partial class ReadFormatTests
{
    private readonly string _config = CliHarness.ConfigVariant(s => s);

    [Fact]
    public async Task ReadRow_Piped_IsAPlainGridOfMicrosiemens_WrappedAt80Columns()
    {
        var (code, output, error) = await CliHarness.RunAsync("read", "--row", "0", "--config", _config);

        Assert.True(code == ExitCodes.Success, error);
        var lines = output.Split('\n')[..^1];
        Assert.Equal("Conductance (µS) at 0.2 V, rows 0, columns 0–63", lines[0]);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('…', output);
        Assert.All(lines, l => Assert.True(l.Length <= 80, l));

        // 64 columns, 9 to a slice: 8 slices of a header and the row, blank lines between them.
        Assert.Equal(1 + (8 * 2) + 7, lines.Length);
        Assert.Equal("row\\col       0       1       2       3       4       5       6       7       8", lines[1]);
        Assert.Matches(GridRow(9), lines[2]);
        Assert.Equal(string.Empty, lines[3]);
        Assert.Equal("row\\col      63", lines[^2]);
        Assert.Matches(GridRow(1), lines[^1]);
    }

    [Fact]
    public async Task ReadBlock_Piped_HasOneLinePerRow_LabelledWithTheRowNumber()
    {
        var (code, output, error) = await CliHarness.RunAsync("read", "--block", "10,20,3,2", "--config", _config);

        Assert.True(code == ExitCodes.Success, error);
        var lines = output.Split('\n')[..^1];
        Assert.Equal("Conductance (µS) at 0.2 V, rows 10–12, columns 20–21", lines[0]);
        Assert.Equal("row\\col      20      21", lines[1]);
        Assert.Equal(["     10", "     11", "     12"], lines[2..].Select(l => l[..7]));
        Assert.All(lines[2..], l => Assert.Matches(GridRow(2), l));
    }

    [Fact]
    public async Task ReadRow_Csv_HasOneLinePerCell_InSiUnits()
    {
        var (code, output, error) = await CliHarness.RunAsync("read", "--row", "5", "--voltage", "0.1", "--csv", "--config", _config);

        Assert.True(code == ExitCodes.Success, error);
        var lines = output.Split('\n')[..^1];
        Assert.Equal("row,column,readVoltageV,currentA,conductanceS", lines[0]);
        Assert.Equal(65, lines.Length);
        for (var c = 0; c < 64; c++)
        {
            var f = lines[c + 1].Split(',');
            Assert.Equal(["5", c.ToString(CultureInfo.InvariantCulture), "0.1"], f[..3]);
            var current = double.Parse(f[3], CultureInfo.InvariantCulture);
            Assert.Equal(current / 0.1, double.Parse(f[4], CultureInfo.InvariantCulture), 1e-15);
        }
    }

    [Fact]
    public async Task Read_JsonAndCsv_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("read", "--row", "0", "--csv", "--json", "--config", _config);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("cimhil: read takes --json or --csv, not both\n", error);
    }

    // A row label right-aligned in 7 characters, then the given number of µS values with two decimals, 8 characters each.
    private static Regex GridRow(int values) => new($"^ *\\d+( {{1,7}}-?\\d+\\.\\d\\d){{{values}}}$");
}

using System.Text.RegularExpressions;
using System.Xml.Linq;
using CimHil.Reporting.Svg;

namespace CimHil.Reporting.Tests.Svg;

public partial class ChartTests
{
    [GeneratedRegex("class=\"mark\"")]
    private static partial Regex MarkClass();

    [Fact]
    public void Render_ScatterAndBars_DataPointsAttributeEqualsMarkCount()
    {
        var bins = HistogramBins.Create([1, 1.2, 2.5, 2.6, 2.7], 4, 1, 3);
        var chart = new XyChart("t1", new AxisSpec("x (µS)"), new AxisSpec("y (count)", IncludeZero: true))
            .Add(new BarSeries("bars", "#000", bins, AsDensity: false))
            .Add(new ScatterSeries("pts", "#111", [new(1, 1), new(2, 2), new(3, double.NaN)], [(0.5, 1.5), null, null]))
            .Add(new LineSeries("fit", "#222", [new(1, 0), new(3, 2)]))
            .Add(new MarkerLine("mean 2", "#333", 2));

        var svg = chart.Render();
        var root = XElement.Parse(svg);

        // Bins [1,1.5) and [2.5,3] hold data, the middle two are empty; + 2 finite points.
        // The NaN point, the line and the marker are not data marks.
        Assert.Equal("4", root.Attribute("data-points")!.Value);
        Assert.Equal(4, MarkClass().Count(svg));
        Assert.Equal("t1", root.Attribute("data-plot")!.Value);
        Assert.Contains("x (µS)", svg);
        Assert.Contains("class=\"error-bar\"", svg);
        Assert.Contains("class=\"marker\"", svg);
        Assert.Single(root.Descendants(), e => (string?)e.Attribute("class") == "legend");
    }

    [Fact]
    public void Render_HostileText_IsEscapedAndStaysWellFormedXml()
    {
        var chart = new XyChart("t2", new AxisSpec("<b>x</b> & \"y\""), new AxisSpec("y"))
            .Add(new ScatterSeries("a<script>alert(1)</script>", "#000", [new(0, 0), new(1, 1)]));
        var svg = chart.Render();
        Assert.DoesNotContain("<script>", svg);
        Assert.Contains("a&lt;script&gt;alert(1)&lt;/script&gt;", svg);
        var root = XElement.Parse(svg);
        Assert.Contains(root.Descendants().Select(e => e.Value), v => v == "<b>x</b> & \"y\"");
    }

    [Fact]
    public void Render_LogAxes_DropsNonPositivePointsFromMarks()
    {
        var chart = new XyChart("t3", new AxisSpec("t (s)", AxisScale.Log), new AxisSpec("G (µS)", AxisScale.Log))
            .Add(new ScatterSeries("g", "#000", [new(1, 10), new(10, 9), new(100, 8.5), new(0, 8), new(1000, -1)]));
        var root = XElement.Parse(chart.Render());
        Assert.Equal("3", root.Attribute("data-points")!.Value);
        Assert.Equal(3, root.Descendants().Count(e => (string?)e.Attribute("class") == "mark"));
    }

    [Fact]
    public void Constructor_IdWithSpaces_Throws() =>
        Assert.Throws<ArgumentException>(() => new XyChart("bad id", new AxisSpec("x"), new AxisSpec("y")));

    [Fact]
    public void Heatmap_EveryCellIsAMarkAndNaNIsGrey()
    {
        // 0…10 is already a nice domain, so the colour scale ends exactly at the data extremes.
        var values = new[] { 0.0, 2, 4, double.NaN, 8, 10 };
        var svg = new Heatmap("hm", 2, 3, values) { ColorBarTitle = "conductance (µS)" }.Render();
        var root = XElement.Parse(svg);
        var cells = root.Descendants().Where(e => (string?)e.Attribute("class") == "mark").ToList();
        Assert.Equal(6, cells.Count);
        Assert.Equal("6", root.Attribute("data-points")!.Value);
        Assert.Equal("#cccccc", (string?)cells[3].Attribute("fill"));
        Assert.Equal(Palette.ViridisAt(0.0), (string?)cells[0].Attribute("fill"));
        Assert.Equal(Palette.ViridisAt(1.0), (string?)cells[5].Attribute("fill"));
        Assert.Contains("conductance (µS)", svg);
    }

    [Fact]
    public void Heatmap_FlatArray_RotatedTitlesFitInsideTheSvg()
    {
        var svg = XElement.Parse(new Heatmap("flat", 2, 64, Enumerable.Range(0, 128).Select(i => (double)i).ToArray()) { ColorBarTitle = "conductance (µS)" }.Render());
        var height = double.Parse(svg.Attribute("height")!.Value, System.Globalization.CultureInfo.InvariantCulture);

        // Each rotated title is centred on the grid; half its estimated length must fit above and below that centre.
        foreach (var title in svg.Descendants().Where(e => (string?)e.Attribute("transform") is { } t && t.Contains("rotate(-90)", StringComparison.Ordinal)))
        {
            var centre = double.Parse(Regex.Match((string)title.Attribute("transform")!, @"translate\([\d.]+ ([\d.]+)\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var half = title.Value.Length * 13 * 0.62 / 2;
            Assert.InRange(centre - half, 0, height);
            Assert.InRange(centre + half, 0, height);
        }
    }

    [Theory]
    [InlineData(0.0, "#440154")]
    [InlineData(1.0, "#fde725")]
    [InlineData(-3.0, "#440154")]
    public void ViridisAt_Ends_MatchMatplotlib(double t, string expected) => Assert.Equal(expected, Palette.ViridisAt(t));
}

using CimHil.Reporting.Svg;

namespace CimHil.Reporting.Tests.Svg;

public class MarkupTests
{
    [Fact]
    public void Escape_XmlSpecialCharacters_AreReplacedByEntities() =>
        Assert.Equal("&lt;script&gt;a &amp; b&lt;/script&gt; &quot;q&quot; &#39;s&#39;", Markup.Escape("<script>a & b</script> \"q\" 's'"));

    [Fact]
    public void Escape_ControlCharacters_AreDroppedButNewlinesKept() =>
        Assert.Equal("ab\nc", Markup.Escape("a\u0001b\nc\u001f"));

    [Fact]
    public void Escape_Null_IsEmpty() => Assert.Equal(string.Empty, Markup.Escape(null));

    [Theory]
    [InlineData(1.005, 1, "1.0")]
    [InlineData(-2.5, 1, "\u22122.5")]
    [InlineData(-0.0001, 2, "0.00")]
    [InlineData(12345.678, 0, "12346")]
    public void Fixed_FormatsInvariantWithUnicodeMinus(double value, int decimals, string expected) =>
        Assert.Equal(expected, Markup.Fixed(value, decimals));

    [Fact]
    public void Coord_IsInvariantAndShort()
    {
        Assert.Equal("12.35", Markup.Coord(12.3456));
        Assert.Equal("-3", Markup.Coord(-3.0));
    }
}

using CimHil.Emulator.Scpi;

namespace CimHil.Emulator.Tests.Scpi;

/// <summary>Program message splitting (IEEE 488.2 sections 7.4 and 7.7.5): ';' between units, ',' between parameters, strings whole.</summary>
public sealed class ScpiMessageTests
{
    [Fact]
    public void SplitOutsideQuotes_KeepsSeparatorsInsideDoubleAndSingleQuotedStrings()
    {
        Assert.Equal(["A \"x;y\"", "B 'p;q'", "C"], ScpiMessage.SplitOutsideQuotes("A \"x;y\"; B 'p;q' ;C", ';'));
    }

    [Fact]
    public void SplitOutsideQuotes_AnApostropheInsideADoubleQuotedStringDoesNotEndIt()
    {
        Assert.Equal(["\"it's;here\"", "2"], ScpiMessage.SplitOutsideQuotes("\"it's;here\",2", ','));
    }

    [Fact]
    public void SplitOutsideQuotes_EmptyUnitsStayEmpty()
    {
        Assert.Equal(["", "*OPC?", ""], ScpiMessage.SplitOutsideQuotes(";*OPC?;", ';'));
    }

    [Fact]
    public void SplitParameters_TrimsEachAndKeepsQuotedCommas()
    {
        Assert.Equal(["\"SimpleLoop\"", "5", "1e-6"], ScpiRequest.SplitParameters("\"SimpleLoop\" , 5,1e-6"));
        Assert.Equal(["\"a,b\"", ""], ScpiRequest.SplitParameters("\"a,b\","));
        Assert.Empty(ScpiRequest.SplitParameters(""));
    }

    [Theory]
    [InlineData("\"1A01\"", "1A01")]
    [InlineData("'slot1'", "slot1")]
    [InlineData("\"mixed'", "\"mixed'")]
    [InlineData("plain", "plain")]
    public void Unquote_RemovesOnlyMatchingQuotes(string text, string expected)
    {
        Assert.Equal(expected, ScpiMessage.Unquote(text));
    }

    [Fact]
    public void Head_CutsLongUnitsAtSixtyCharacters()
    {
        Assert.Equal(new string('A', 60) + "...", ScpiMessage.Head(new string('A', 61)));
        Assert.Equal(new string('A', 60), ScpiMessage.Head(new string('A', 60)));
    }
}

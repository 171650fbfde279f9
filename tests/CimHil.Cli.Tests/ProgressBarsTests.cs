namespace CimHil.Cli.Tests;

/// <summary>When a long command draws progress bars: never with --quiet, never into JSON output.</summary>
public class ProgressBarsTests
{
    [Theory]
    [InlineData(new[] { "run", "--quiet" }, false, true)]
    [InlineData(new[] { "study", "-q" }, false, true)]
    [InlineData(new[] { "train" }, true, true)]
    public void QuietOrJson_DrawNoBars(string[] args, bool json, bool expected)
    {
        using var services = new CliServices(TextWriter.Null, TextWriter.Null);
        var parse = CliApp.BuildRoot(services).Parse(args);
        Assert.Equal(expected, services.NoProgressBars(parse, json));
    }

    [Fact]
    public void WithoutQuietOrJson_BarsFollowTheTerminal()
    {
        using var services = new CliServices(TextWriter.Null, TextWriter.Null);
        var parse = CliApp.BuildRoot(services).Parse(["run"]);
        Assert.Equal(Console.IsOutputRedirected, services.NoProgressBars(parse, json: false));
    }
}

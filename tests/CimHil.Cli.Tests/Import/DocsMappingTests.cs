using System.Text.RegularExpressions;
using CimHil.Characterization.Import;

namespace CimHil.Cli.Tests.Import;

/// <summary>The mapping files docs/import.md shows are the ones the tests import: they parse, and equal the tested ones.</summary>
public partial class DocsMappingTests
{
    [Fact]
    public void EveryMappingInTheDocs_ParsesAndIsATestedLayout()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "CimHil.sln")))
        {
            dir = dir.Parent;
        }

        var text = File.ReadAllText(Path.Combine(dir.FullName, "docs", "import.md"));
        var blocks = JsonBlock().Matches(text).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(4, blocks.Count);
        Assert.All(blocks, b => ImportMapping.Parse(b, "docs/import.md"));
        string[] tested = [Mappings.HeaderlessTsvOhms, Mappings.CsvMicrosiemens, Mappings.Retention, Mappings.Hdf5];
        Assert.Equal(tested.Select(Normalise), blocks.Select(Normalise));
    }

    private static string Normalise(string json) => Regex.Replace(json, @"\s+", string.Empty);

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}

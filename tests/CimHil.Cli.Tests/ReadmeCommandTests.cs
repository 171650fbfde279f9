using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests;

/// <summary>The commands on the README's first screen work as written (issue #20, acceptance).</summary>
public partial class ReadmeCommandTests
{
    [Fact]
    public async Task FirstScreenCommands_RunAsWritten_OnTheShippedConfig()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "README.md"));
        var commands = BashBlock().Matches(readme)[1].Groups[1].Value
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('#')[0].Trim())
            .ToList();
        Assert.Equal(6, commands.Count);

        // The folder the built program runs from holds the shipped hil-config.json, models/ and calibration/, as a clone does.
        var folder = AppContext.BaseDirectory;
        Assert.Equal(0, (await CliProcess.RunAsync(folder, "emulator", "reset")).Code);
        foreach (var command in commands)
        {
            Assert.StartsWith("./cimhil ", command, StringComparison.Ordinal);
            var (code, _, error) = await CliProcess.RunAsync(folder, command["./cimhil ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            Assert.True(code == ExitCodes.Success, $"{command}: exit {code}: {error}");
        }
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}

namespace CimHil.Cli.Tests;

/// <summary>A served board that stops answering in the middle of <c>cimhil program</c>: an instrument error (5), not a bug (1).</summary>
public class StalledInstrumentTests
{
    [Fact]
    public async Task Program_ServerStallsAtThePulse_ExitsWith5AndNamesTheCommand()
    {
        // Messages before the pulse: *CLS, *IDN?, ARR:GEOM?, ARR:TECH?, ARR:CAP?, SYST:CLOC:VIRT?, FORM + *OPC? + SYST:ERR?,
        // SYST:CLOC?, the two pulse-counter queries, the read before. The server counts what it receives, and how the
        // client's writes arrive can shift that count by one, so the stall point is moved until it lands on CELL:PROG;
        // every stall on the way (a read) must be an instrument error (5) too.
        string? said = null;
        for (var stallAfter = 12; stallAfter <= 16 && said is null; stallAfter++)
        {
            var (code, error, resource) = await ProgramAgainstAStallingServerAsync(stallAfter);
            Assert.True(code == ExitCodes.InstrumentError, $"stall after {stallAfter}: exit {code}: {error}");
            Assert.DoesNotContain("internal error", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
            var line = Assert.Single(error.Split('\n'), l => l.StartsWith("cimhil: ", StringComparison.Ordinal));
            if (line.Contains($"{resource}: the outcome of 'CELL:PROG 0,0,SET,1,", StringComparison.Ordinal))
            {
                said = line;
            }
        }

        Assert.NotNull(said);
        Assert.Contains("whether it was applied is unknown; read the cell back before pulsing it again", said, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Error, string Resource)> ProgramAgainstAStallingServerAsync(int stallAfter)
    {
        await using var board = await ServedBoard.StartAsync("--stall-after", stallAfter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var resource = board.Resource;
        var config = CliHarness.ConfigVariant(text => text
            .Replace("\"driver\": \"emulator\",\n    \"settings\": {},", $"\"driver\": \"cimhil-board\",\n    \"settings\": {{ \"resource\": \"{resource}\" }},", StringComparison.Ordinal)
            .Replace("\"timeoutSeconds\": 2.0", "\"timeoutSeconds\": 0.3", StringComparison.Ordinal)
            .Replace("\"connectTimeoutSeconds\": 5.0", "\"connectTimeoutSeconds\": 1", StringComparison.Ordinal)
            .Replace("\"retries\": 3", "\"retries\": 0", StringComparison.Ordinal));
        Assert.Contains("cimhil-board", File.ReadAllText(config), StringComparison.Ordinal);

        var (code, _, error) = await CliHarness.RunAsync("program", "--cell", "0,0", "--polarity", "set", "--amplitude", "1", "--config", config);
        Assert.Equal(ExitCodes.Success, await board.StopAsync());
        return (code, error, resource);
    }
}

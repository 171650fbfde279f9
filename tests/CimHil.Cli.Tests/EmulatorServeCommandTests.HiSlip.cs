using System.Text.RegularExpressions;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog.Core;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil emulator serve --hislip</c>: the board over HiSLIP, reached by CimHil's HiSLIP client at the printed resource.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task ServeBoard_WithHiSlip_PrintsTheResource_AndAnswersOverHiSlip()
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--no-tcp", "--hislip", "--hislip-port", "0", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);

        var line = await WaitForLineAsync(serverOut, output, "HiSLIP ", serving);
        var match = HiSlipLine().Match(line);
        Assert.True(match.Success, line);
        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        Assert.Contains($"\"resource\": \"{match.Groups[1].Value}\"", chipLine, StringComparison.Ordinal);

        var options = new TransportOptions { Visa = VisaPreference.Never };
        await using (var session = await ScpiSession.OpenAsync(match.Groups[1].Value, options, Logger.None, CancellationToken.None))
        {
            Assert.Equal("CimHil", (await session.IdentifyAsync(CancellationToken.None)).Manufacturer);
            await session.WriteAsync("FOO:BAR", CancellationToken.None);
            Assert.Equal("-113,\"Undefined header;FOO:BAR\"", await session.QueryAsync("SYST:ERR?", CancellationToken.None));
        }

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
    }

    [Fact]
    public async Task ServeSmuMatrix_WithHiSlip_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("emulator", "serve", "--bench", "smu-matrix", "--port", "0", "--hislip");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--hislip applies to the board bench only", error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^HiSLIP  (TCPIP0::127\.0\.0\.1::hislip0,(\d+)::INSTR)   \(both channels on port \2\)$")]
    private static partial Regex HiSlipLine();
}

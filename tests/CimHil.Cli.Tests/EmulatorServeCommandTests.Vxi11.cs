using System.Globalization;
using System.Text.RegularExpressions;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog.Core;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil emulator serve --vxi11</c>: the board over VXI-11, reached by CimHil's VXI-11 client at the printed resource.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task ServeBoard_WithVxi11_PrintsTheResourceAndPortmapper_AndAnswersOverVxi11()
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--no-tcp", "--vxi11", "--portmapper-port", "0", "--port", "0", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);

        var line = await WaitForLineAsync(serverOut, output, "VXI-11 ", serving);
        var match = Vxi11Line().Match(line);
        Assert.True(match.Success, line);
        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        Assert.Contains("\"resource\": \"TCPIP0::127.0.0.1::inst0::INSTR\"", chipLine, StringComparison.Ordinal);

        var options = new TransportOptions { Visa = VisaPreference.Never, Vxi11PortmapperPort = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) };
        await using (var session = await ScpiSession.OpenAsync(match.Groups[0].Value.Split(' ')[2], options, Logger.None, CancellationToken.None))
        {
            Assert.Equal("CimHil", (await session.IdentifyAsync(CancellationToken.None)).Manufacturer);
        }

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
    }

    [Fact]
    public async Task ServeSmuMatrix_WithVxi11_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("emulator", "serve", "--bench", "smu-matrix", "--port", "0", "--vxi11");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--vxi11 applies to the board bench only", error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^VXI-11  TCPIP0::127\.0\.0\.1::inst0::INSTR   \(portmapper on port (\d+), core channel on port \d+\)$")]
    private static partial Regex Vxi11Line();
}

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil emulator serve --bench keithley-2600b</c>: the emulated 2636B (TSP) + 707B read through by the CLI's keithley-2600b driver.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task ServeKeithley2600B_PrintsAChipSection_ThatTheKeithley2600BDriverReadsThrough()
    {
        var (chipLine, output) = await ServeAndReadThroughAsync("keithley-2600b", row: 3, minPulseWidthSeconds: "0.0001");

        Assert.Matches("\"smu\": \"TCPIP0::127\\.0\\.0\\.1::\\d+::SOCKET\"", chipLine);
        Assert.Contains("2636B SourceMeter (TSP)", output, StringComparison.Ordinal);
        // The driver disposed cleanly: the emulated 2636B's outputs are off at 0 V and the matrix open.
        Assert.Contains("0 short circuits; bench safe (outputs off at 0 V, matrix open)", output, StringComparison.Ordinal);
    }
}

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil emulator serve --bench keithley-4200a</c>: the emulated 4200A-SCS (KXCI) + 707B read through by the CLI's keithley-4200a driver.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task ServeKeithley4200A_PrintsAChipSection_ThatTheKeithley4200ADriverReadsThrough()
    {
        var (chipLine, output) = await ServeAndReadThroughAsync("keithley-4200a", row: 2, minPulseWidthSeconds: "1e-06");

        Assert.Matches("\"analyzer\": \"TCPIP0::127\\.0\\.0\\.1::\\d+::SOCKET\", \"pmuChannel\": 1", chipLine);
        Assert.Contains("4200A-SCS (KXCI", output, StringComparison.Ordinal);
        Assert.Contains("0 short circuits; bench safe (SMUs off at 0 V, PMU outputs off, matrix open)", output, StringComparison.Ordinal);
    }
}
